package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RouteTableWriter;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RolloutStrategy;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.model.ReplicaCount;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Which Kafka topics a plug-in needs, and which it leaves behind when it goes, with no I/O. Every
 * name comes from {@link BusTopics}.
 *
 * <ul>
 *   <li>the request topic of each provided service: partitions &ge; the provider's effective
 *       replicas.max (every replica gets a partition) and &ge; the configured minimum;
 *   <li>for a Canary plug-in, each service's second request lane as well (same partitions);
 *   <li>the plug-in's dead-letter topic (one partition: a trickle, read by people);
 *   <li>the topic of each event type it publishes or subscribes to: partitions &ge; the configured
 *       minimum and &ge; replicas.max of every subscriber in the namespace (each subscriber's
 *       replicas share the partitions);
 *   <li>the namespace's telemetry topic (short retention) and routes topic (compacted, one
 *       partition so the table has one order);
 *   <li>for a HotSwap Plugin, the namespace's control topic (compacted, one partition).
 * </ul>
 */
public final class TopicPlan {
  private TopicPlan() {}

  /** Telemetry is keyed by instance; a few partitions spread the once-a-second reports. */
  static final int TELEMETRY_PARTITIONS = 3;

  /**
   * The topics a valid Plugin needs, sorted by name.
   *
   * @param namespacePlugins the Plugins of the namespace (the Plugin itself may be among them);
   *     their subscriptions size the event topics
   * @throws IllegalArgumentException when a name would not be a legal topic (the validator reports
   *     this before a Plugin gets here)
   */
  public static List<DesiredTopic> desired(
      Plugin plugin, Collection<Plugin> namespacePlugins, TopicLayout layout) {
    BusTopics topics = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    PluginSpec spec = plugin.getSpec();
    Map<String, DesiredTopic> out = new TreeMap<>();
    short rf = layout.replicationFactor();
    String isr = Integer.toString(layout.minInsyncReplicas());

    int requestPartitions = Math.max(layout.minRequestPartitions(), ReplicaCount.of(spec).max());
    for (String service : services(spec)) {
      put(
          out,
          new DesiredTopic(
              topics.requests(service),
              DesiredTopic.Kind.REQUESTS,
              requestPartitions,
              rf,
              deleteAfterRetention(isr)));
      if (usesSecondLane(spec)) {
        put(
            out,
            new DesiredTopic(
                topics.alternateRequests(service),
                DesiredTopic.Kind.REQUESTS,
                requestPartitions,
                rf,
                deleteAfterRetention(isr)));
      }
    }
    put(
        out,
        new DesiredTopic(
            topics.deadLetters(plugin.getMetadata().getName()),
            DesiredTopic.Kind.DEAD_LETTERS,
            1,
            rf,
            deleteAfterRetention(isr)));
    List<Plugin> everyone = withSelf(plugin, namespacePlugins);
    for (String type : eventTypes(spec)) {
      int partitions = layout.eventPartitions();
      for (Plugin p : everyone) {
        if (list(p.getSpec().getSubscribes()).contains(type)) {
          partitions = Math.max(partitions, ReplicaCount.of(p.getSpec()).max());
        }
      }
      put(
          out,
          new DesiredTopic(
              topics.events(type),
              DesiredTopic.Kind.EVENTS,
              partitions,
              rf,
              deleteAfterRetention(isr)));
    }
    put(
        out,
        new DesiredTopic(
            topics.telemetry(),
            DesiredTopic.Kind.TELEMETRY,
            TELEMETRY_PARTITIONS,
            rf,
            Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG,
                Long.toString(layout.telemetryRetention().toMillis()),
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                isr)));
    put(
        out,
        new DesiredTopic(
            topics.routes(),
            DesiredTopic.Kind.ROUTES,
            RouteTableWriter.PARTITIONS,
            rf,
            routesConfigs(isr)));
    if (PluginRevision.hotSwaps(spec)) {
      // Compacted like the route table: the last record of a plug-in is its command.
      put(
          out,
          new DesiredTopic(
              topics.control(),
              DesiredTopic.Kind.CONTROL,
              RouteTableWriter.PARTITIONS,
              rf,
              routesConfigs(isr)));
    }
    return List.copyOf(out.values());
  }

  /**
   * What a deleted Plugin leaves behind that no remaining Plugin of its namespace needs.
   *
   * @param requestTopics request topics of services no remaining Plugin provides: deleted once
   *     drained
   * @param otherTopics its dead-letter topic, event topics nobody else publishes or subscribes to,
   *     and the namespace's telemetry, routes and control topics when it was the last Plugin there
   * @param namespaceTopics whether it was the last Plugin (the namespace-wide topics are listed)
   */
  public record Leftovers(
      List<String> requestTopics, List<String> otherTopics, boolean namespaceTopics) {

    public List<String> all() {
      List<String> all = new ArrayList<>(requestTopics);
      all.addAll(otherTopics);
      return all;
    }
  }

  /**
   * @param remaining the namespace's other Plugins that stay (not being deleted themselves)
   */
  public static Leftovers leftovers(Plugin plugin, Collection<Plugin> remaining) {
    BusTopics topics = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    String name = plugin.getMetadata().getName();
    List<Plugin> others =
        remaining.stream().filter(p -> !p.getMetadata().getName().equals(name)).toList();
    Set<String> servicesElsewhere = new TreeSet<>();
    Set<String> eventsElsewhere = new TreeSet<>();
    for (Plugin p : others) {
      servicesElsewhere.addAll(services(p.getSpec()));
      eventsElsewhere.addAll(eventTypes(p.getSpec()));
    }
    List<String> requests = new ArrayList<>();
    for (String service : services(plugin.getSpec())) {
      if (!servicesElsewhere.contains(service)) {
        requests.add(topics.requests(service));
        // Listed whatever the strategy: a plug-in that stopped being a canary may still have it.
        requests.add(topics.alternateRequests(service));
      }
    }
    List<String> other = new ArrayList<>();
    other.add(topics.deadLetters(name));
    for (String type : eventTypes(plugin.getSpec())) {
      if (!eventsElsewhere.contains(type)) {
        other.add(topics.events(type));
      }
    }
    if (others.isEmpty()) {
      other.add(topics.telemetry());
      other.add(topics.routes());
      other.add(topics.control()); // only deleted if it exists (some Plugin used hot swap)
    }
    return new Leftovers(List.copyOf(requests), List.copyOf(other), others.isEmpty());
  }

  /**
   * Whether a topic is the reply slot of one of the plug-in's pods ({@code
   * <prefix>.<ns>.reply.<plugin>.<pod>}). Plug-in names have no dots, so the slots of a plug-in
   * named {@code pay} are kept apart from those of {@code pay-v2}.
   */
  public static boolean isReplySlotOf(Plugin plugin, String topic) {
    String prefix = replyPrefix(plugin);
    return topic.startsWith(prefix) && topic.length() > prefix.length();
  }

  /** The pod name a reply slot belongs to. */
  public static String replySlotPod(Plugin plugin, String topic) {
    return topic.substring(replyPrefix(plugin).length());
  }

  private static String replyPrefix(Plugin plugin) {
    return BusTopics.forNamespace(plugin.getMetadata().getNamespace())
        .replyPrefix(plugin.getMetadata().getName());
  }

  /**
   * The route table as bus-protocol defines it ({@link RouteTableWriter#topicConfigs()}: compacted,
   * tombstones kept a day, hourly segments), with the operator's min.insync.replicas.
   */
  static Map<String, String> routesConfigs(String isr) {
    Map<String, String> configs = new LinkedHashMap<>(RouteTableWriter.topicConfigs());
    configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, isr);
    return Map.copyOf(configs);
  }

  private static Map<String, String> deleteAfterRetention(String isr) {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
        isr);
  }

  private static void put(Map<String, DesiredTopic> out, DesiredTopic t) {
    out.merge(
        t.name(),
        t,
        (a, b) -> a.partitions() >= b.partitions() ? a : b); // an event both published and read
  }

  /**
   * Canary plug-ins get each service's second request lane ({@link
   * BusTopics#alternateRequests(String)}) too: the stable and the new revision consume one each.
   */
  static boolean usesSecondLane(PluginSpec spec) {
    return spec.getRollout() != null && spec.getRollout().getStrategy() == RolloutStrategy.Canary;
  }

  static Set<String> services(PluginSpec spec) {
    Set<String> out = new LinkedHashSet<>();
    if (spec.getProvides() != null) {
      for (ProvidedService p : spec.getProvides()) {
        if (p.getService() != null) {
          out.add(p.getService());
        }
      }
    }
    return out;
  }

  static Set<String> eventTypes(PluginSpec spec) {
    Set<String> out = new LinkedHashSet<>(list(spec.getPublishes()));
    out.addAll(list(spec.getSubscribes()));
    return out;
  }

  private static List<String> list(List<String> values) {
    return values == null ? List.of() : values;
  }

  private static List<Plugin> withSelf(Plugin plugin, Collection<Plugin> namespacePlugins) {
    List<Plugin> all = new ArrayList<>();
    all.add(plugin);
    for (Plugin p : namespacePlugins) {
      if (!p.getMetadata().getName().equals(plugin.getMetadata().getName())) {
        all.add(p);
      }
    }
    return all;
  }
}
