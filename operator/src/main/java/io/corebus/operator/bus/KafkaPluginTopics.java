package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * {@link PluginTopics} with the Kafka Admin client. Idempotent: describe first, create what is
 * missing, raise partition counts that are too low (never lower them), report (never delete) a
 * topic whose configuration conflicts with what the core needs.
 *
 * <p>A Plugin whose topics were found as desired is not asked about again while its plan and pods
 * stay the same, for {@code recheck-interval}: most reconciles (pod status changes) then make no
 * Kafka call at all. Deleting a namespace's last Plugin deletes the namespace-wide topics (routes,
 * telemetry, control): then every Plugin of that namespace is asked about again, and a check that
 * overlapped the deletion (a Plugin created while the last one went) is not trusted.
 */
public final class KafkaPluginTopics implements PluginTopics {
  private static final Logger LOG = Logger.getLogger(KafkaPluginTopics.class);

  /** The cluster's broker count is asked again after this long (for a derived replication). */
  static final Duration CLUSTER_SIZE_TTL = Duration.ofMinutes(5);

  /** While a deleted plug-in's request topics drain, look at least this often. */
  static final Duration DRAIN_RECHECK = Duration.ofSeconds(5);

  /** How long a broker's metadata may trail the controller after topics are deleted (generous). */
  static final Duration METADATA_SETTLE = Duration.ofSeconds(30);

  private record Verified(
      TopicLayout layout, List<DesiredTopic> desired, Set<String> podNames, Instant at) {}

  private record ClusterSize(int brokers, Instant at) {}

  private final BusAdmin bus;
  private final TopicSettings settings;
  private final Clock clock;
  private final Map<String, Verified> verified = new ConcurrentHashMap<>();
  private final Map<String, Instant> drainingSince = new ConcurrentHashMap<>();
  private final Map<String, Instant> namespaceReleasedAt = new ConcurrentHashMap<>();
  private volatile ClusterSize clusterSize;

  /**
   * Raised after every release that deleted a namespace's shared topics; guards {@link #verified}.
   */
  private long namespaceReleases;

  public KafkaPluginTopics(BusAdmin bus, TopicSettings settings, Clock clock) {
    this.bus = bus;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public EnsureReport ensure(
      Plugin plugin, Collection<Plugin> namespacePlugins, Set<String> podNames) {
    String key = key(plugin);
    Verified last = verified.get(key);
    // Trust a recent check, unless Kafka has been seen down since (then ask, or learn from the
    // back-off at once that it is still down).
    if (last != null
        && bus.availability().isUp()
        && clock.instant().isBefore(last.at().plus(settings.recheckInterval()))
        && last.podNames().equals(podNames)
        && last.desired().equals(TopicPlan.desired(plugin, namespacePlugins, last.layout()))) {
      return Checked.NOTHING;
    }
    long releasesBefore = namespaceReleases();
    try {
      return bus.call(
          "ensure-topics",
          admin -> ensure(admin, plugin, namespacePlugins, podNames, releasesBefore));
    } catch (KafkaUnavailableException e) {
      verified.remove(key);
      return new Unavailable(e.getMessage(), e.retryAfter());
    } catch (IllegalStateException e) {
      verified.remove(key);
      return new Checked(
          List.of(),
          List.of(),
          List.of(new TopicProblem(null, TopicProblem.Kind.NOT_CREATED, e.getMessage())),
          List.of());
    }
  }

  private Checked ensure(
      Admin admin,
      Plugin plugin,
      Collection<Plugin> namespacePlugins,
      Set<String> podNames,
      long releasesBefore)
      throws ExecutionException, InterruptedException {
    TopicLayout layout = settings.layout(brokers(admin));
    List<DesiredTopic> desired = TopicPlan.desired(plugin, namespacePlugins, layout);
    List<String> names = desired.stream().map(DesiredTopic::name).toList();

    Map<String, TopicDescription> existing = new HashMap<>();
    Map<String, KafkaFuture<TopicDescription>> described =
        admin.describeTopics(names).topicNameValues();
    for (String name : names) {
      try {
        existing.put(name, bus.await(described.get(name)));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
    }
    Map<String, Config> configs = new HashMap<>();
    if (!existing.isEmpty()) {
      Map<ConfigResource, KafkaFuture<Config>> c =
          admin
              .describeConfigs(
                  existing.keySet().stream()
                      .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                      .toList())
              .values();
      for (Map.Entry<ConfigResource, KafkaFuture<Config>> e : c.entrySet()) {
        configs.put(e.getKey().name(), bus.await(e.getValue()));
      }
    }

    List<TopicProblem> problems = new ArrayList<>();
    Map<String, DesiredTopic> toCreate = new LinkedHashMap<>();
    Map<String, NewPartitions> toGrow = new LinkedHashMap<>();
    Map<String, String> growNotes = new HashMap<>();
    for (DesiredTopic want : desired) {
      TopicDescription have = existing.get(want.name());
      if (have == null) {
        toCreate.put(want.name(), want);
        continue;
      }
      int partitions = have.partitions().size();
      if (partitions < want.partitions()) {
        toGrow.put(want.name(), NewPartitions.increaseTo(want.partitions()));
        growNotes.put(
            want.name(), want.name() + " from " + partitions + " to " + want.partitions());
      }
      problems.addAll(conflicts(want, have, configs.get(want.name()), layout));
    }

    // Another writer got there first, or the broker's metadata did not show it yet: either way what
    // was checked is not what is there, so the check is not trusted for the recheck interval.
    boolean raced = false;
    List<String> created = new ArrayList<>();
    if (!toCreate.isEmpty()) {
      Map<String, KafkaFuture<Void>> results =
          admin
              .createTopics(
                  toCreate.values().stream()
                      .map(
                          t ->
                              new NewTopic(t.name(), t.partitions(), t.replicationFactor())
                                  .configs(t.configs()))
                      .toList())
              .values();
      for (DesiredTopic t : toCreate.values()) {
        try {
          bus.await(results.get(t.name()));
          created.add(t.name() + " (" + t.partitions() + " partitions)");
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof TopicExistsException) {
            raced = true; // created meanwhile, or not yet in the broker's metadata
            continue;
          }
          if (BusAdmin.isUnavailability(cause)) {
            throw e;
          }
          bus.availability().topicError("create-topic");
          problems.add(
              new TopicProblem(
                  t.name(),
                  TopicProblem.Kind.NOT_CREATED,
                  "cannot create topic " + t.name() + ": " + BusAdmin.message(cause)));
        }
      }
    }

    List<String> grown = new ArrayList<>();
    if (!toGrow.isEmpty()) {
      Map<String, KafkaFuture<Void>> results = admin.createPartitions(toGrow).values();
      for (String name : toGrow.keySet()) {
        try {
          bus.await(results.get(name));
          grown.add(growNotes.get(name));
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof InvalidPartitionsException) {
            raced = true; // raised meanwhile by another reconcile
            continue;
          }
          if (BusAdmin.isUnavailability(cause)) {
            throw e;
          }
          bus.availability().topicError("create-partitions");
          problems.add(
              new TopicProblem(
                  name,
                  TopicProblem.Kind.CONFLICT,
                  "cannot raise the partitions of "
                      + growNotes.get(name)
                      + ": "
                      + BusAdmin.message(cause)));
        }
      }
    }

    List<String> deletedSlots = deleteVanishedReplySlots(admin, plugin, podNames);

    synchronized (this) {
      if (problems.isEmpty()
          && !raced
          && namespaceReleases == releasesBefore
          && !settlingAfterRelease(plugin.getMetadata().getNamespace())) {
        verified.put(
            key(plugin), new Verified(layout, desired, Set.copyOf(podNames), clock.instant()));
      } else {
        verified.remove(key(plugin));
      }
    }
    if (!created.isEmpty() || !grown.isEmpty()) {
      LOG.infof("%s: topics created %s, partitions raised %s", key(plugin), created, grown);
    }
    return new Checked(created, grown, problems, deletedSlots);
  }

  /** What about an existing topic would break the bus: reported, the topic is left alone. */
  static List<TopicProblem> conflicts(
      DesiredTopic want, TopicDescription have, Config config, TopicLayout layout) {
    List<TopicProblem> out = new ArrayList<>();
    String wantPolicy = want.configs().get(TopicConfig.CLEANUP_POLICY_CONFIG);
    String havePolicy = value(config, TopicConfig.CLEANUP_POLICY_CONFIG);
    if (wantPolicy != null
        && havePolicy != null
        && !policies(wantPolicy).equals(policies(havePolicy))) {
      out.add(
          new TopicProblem(
              want.name(),
              TopicProblem.Kind.CONFLICT,
              "topic "
                  + want.name()
                  + " has cleanup.policy="
                  + havePolicy
                  + " but the "
                  + want.kind().name().toLowerCase().replace('_', ' ')
                  + " topic needs "
                  + wantPolicy
                  + "; change it (kafka-configs --alter) or delete the topic so the operator"
                  + " creates it again"));
    }
    int replicas = have.partitions().isEmpty() ? 0 : have.partitions().get(0).replicas().size();
    if (replicas < layout.replicationFactor()) {
      out.add(
          new TopicProblem(
              want.name(),
              TopicProblem.Kind.CONFLICT,
              "topic "
                  + want.name()
                  + " has "
                  + replicas
                  + " replica(s), "
                  + layout.replicationFactor()
                  + " wanted; reassign its partitions (kafka-reassign-partitions)"));
    }
    String isr = value(config, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
    if (isr != null && replicas > 0) {
      try {
        if (Integer.parseInt(isr) > replicas) {
          out.add(
              new TopicProblem(
                  want.name(),
                  TopicProblem.Kind.CONFLICT,
                  "topic "
                      + want.name()
                      + " has min.insync.replicas="
                      + isr
                      + " but only "
                      + replicas
                      + " replica(s): no acks=all write can succeed"));
        }
      } catch (NumberFormatException ignored) {
        // not ours to judge
      }
    }
    return out;
  }

  private static Set<String> policies(String value) {
    return java.util.Arrays.stream(value.split(","))
        .map(String::strip)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toSet());
  }

  private static String value(Config config, String name) {
    if (config == null) {
      return null;
    }
    ConfigEntry e = config.get(name);
    return e == null ? null : e.value();
  }

  private List<String> deleteVanishedReplySlots(Admin admin, Plugin plugin, Set<String> podNames)
      throws ExecutionException, InterruptedException {
    Set<String> all = bus.await(admin.listTopics(new ListTopicsOptions()).names());
    List<String> vanished =
        all.stream()
            .filter(t -> TopicPlan.isReplySlotOf(plugin, t))
            .filter(t -> !podNames.contains(TopicPlan.replySlotPod(plugin, t)))
            .sorted()
            .toList();
    return delete(admin, vanished, new ArrayList<>());
  }

  /**
   * Deletes topics and returns those deleted; a topic already gone is skipped; other failures go to
   * {@code failed}.
   */
  private List<String> delete(Admin admin, List<String> topics, List<String> failed)
      throws ExecutionException, InterruptedException {
    if (topics.isEmpty()) {
      return List.of();
    }
    Map<String, KafkaFuture<Void>> results = admin.deleteTopics(topics).topicNameValues();
    List<String> deleted = new ArrayList<>();
    for (String t : topics) {
      try {
        bus.await(results.get(t));
        deleted.add(t);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof UnknownTopicOrPartitionException) {
          continue;
        }
        if (BusAdmin.isUnavailability(cause)) {
          throw e;
        }
        bus.availability().topicError("delete-topic");
        failed.add(t + ": " + BusAdmin.message(cause));
      }
    }
    return deleted;
  }

  @Override
  public ReleaseReport release(Plugin plugin, Collection<Plugin> remaining) {
    String key = key(plugin);
    TopicPlan.Leftovers leftovers;
    try {
      leftovers = TopicPlan.leftovers(plugin, remaining);
    } catch (IllegalArgumentException e) {
      // A name no topic can have: such a Plugin never got topics.
      return new Released(List.of(), null);
    }
    try {
      return bus.call("release-topics", admin -> release(admin, plugin, leftovers));
    } catch (KafkaUnavailableException e) {
      return new Unavailable(e.getMessage(), e.retryAfter());
    } catch (IllegalStateException e) {
      LOG.warnf("%s: releasing topics failed: %s", key, e.getMessage());
      return new Unavailable(e.getMessage(), DRAIN_RECHECK);
    } finally {
      verified.remove(key);
      if (leftovers.namespaceTopics()) {
        forgetNamespace(plugin.getMetadata().getNamespace());
      }
    }
  }

  /** The namespace's shared topics may be gone: check every Plugin there again. */
  private synchronized void forgetNamespace(String namespace) {
    namespaceReleases++;
    namespaceReleasedAt.put(namespace, clock.instant());
    verified.keySet().removeIf(k -> k.startsWith(namespace + "/"));
  }

  /**
   * Whether the namespace's shared topics were deleted so recently that a broker's metadata may
   * still list them: a check that finds them then is not trusted for the recheck interval.
   */
  private boolean settlingAfterRelease(String namespace) {
    Instant at = namespaceReleasedAt.get(namespace);
    if (at == null) {
      return false;
    }
    if (clock.instant().isBefore(at.plus(METADATA_SETTLE))) {
      return true;
    }
    namespaceReleasedAt.remove(namespace, at);
    return false;
  }

  private synchronized long namespaceReleases() {
    return namespaceReleases;
  }

  private ReleaseReport release(Admin admin, Plugin plugin, TopicPlan.Leftovers leftovers)
      throws ExecutionException, InterruptedException {
    String uid = uid(plugin);
    Set<String> existing = bus.await(admin.listTopics(new ListTopicsOptions()).names());
    List<String> requests = leftovers.requestTopics().stream().filter(existing::contains).toList();
    String warning = null;
    long lag = lag(admin, plugin, requests);
    if (lag > 0) {
      Instant now = clock.instant();
      Instant since = drainingSince.putIfAbsent(uid, now);
      boolean first = since == null;
      since = first ? now : since;
      Instant deadline = since.plus(settings.drainTimeout());
      String group =
          BusTopics.forNamespace(plugin.getMetadata().getNamespace())
              .requestGroup(plugin.getMetadata().getName());
      if (now.isBefore(deadline)) {
        Duration left = Duration.between(now, deadline);
        return new Draining(
            lag
                + " request(s) on "
                + String.join(", ", requests)
                + " were never processed by group "
                + group
                + "; the topics are kept until another Plugin provides the service or "
                + settings.drainTimeout().toSeconds()
                + "s have passed",
            left.compareTo(DRAIN_RECHECK) < 0 ? left : DRAIN_RECHECK,
            first);
      }
      warning =
          "deleted "
              + String.join(", ", requests)
              + " with "
              + lag
              + " request(s) never processed by group "
              + group
              + " (drain timeout "
              + settings.drainTimeout().toSeconds()
              + "s passed)";
    }
    // Not filtered by the listing: a broker's metadata may not show a topic created a moment ago
    // (the controller, which deletes, does), and a topic already gone is skipped by delete().
    List<String> doomed = new ArrayList<>(leftovers.all());
    existing.stream().filter(t -> TopicPlan.isReplySlotOf(plugin, t)).sorted().forEach(doomed::add);
    List<String> failed = new ArrayList<>();
    List<String> deleted = delete(admin, doomed, failed);
    drainingSince.remove(uid);
    if (!failed.isEmpty()) {
      String left = "could not delete " + String.join("; ", failed) + " (left behind)";
      warning = warning == null ? left : warning + "; " + left;
    }
    return new Released(deleted, warning);
  }

  /** Records on the request topics that the plug-in's consumer group has not committed. */
  private long lag(Admin admin, Plugin plugin, List<String> requestTopics)
      throws ExecutionException, InterruptedException {
    if (requestTopics.isEmpty()) {
      return 0;
    }
    Map<String, TopicDescription> described =
        bus.await(admin.describeTopics(requestTopics).allTopicNames());
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    described.forEach(
        (topic, d) ->
            d.partitions()
                .forEach(
                    p -> {
                      TopicPartition tp = new TopicPartition(topic, p.partition());
                      latest.put(tp, OffsetSpec.latest());
                      earliest.put(tp, OffsetSpec.earliest());
                    }));
    String group =
        BusTopics.forNamespace(plugin.getMetadata().getNamespace())
            .requestGroup(plugin.getMetadata().getName());
    Map<TopicPartition, OffsetAndMetadata> committed;
    try {
      committed = bus.await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
      committed = Map.of();
    }
    Map<TopicPartition, ListOffsetsResultInfo> ends = bus.await(admin.listOffsets(latest).all());
    Map<TopicPartition, ListOffsetsResultInfo> starts =
        bus.await(admin.listOffsets(earliest).all());
    long lag = 0;
    Set<TopicPartition> partitions = new HashSet<>(latest.keySet());
    for (TopicPartition tp : partitions) {
      long end = ends.get(tp).offset();
      long start = starts.get(tp).offset();
      OffsetAndMetadata c = committed.get(tp);
      long position = c == null ? start : Math.max(start, c.offset());
      lag += Math.max(0, end - position);
    }
    return lag;
  }

  private int brokers(Admin admin) throws ExecutionException, InterruptedException {
    if (!settings.derivesReplicationFactor()) {
      return TopicSettings.PREFERRED_REPLICAS; // not used: the factor is configured
    }
    ClusterSize known = clusterSize;
    Instant now = clock.instant();
    if (known != null && now.isBefore(known.at().plus(CLUSTER_SIZE_TTL))) {
      return known.brokers();
    }
    int brokers = bus.await(admin.describeCluster().nodes()).size();
    clusterSize = new ClusterSize(brokers, now);
    return brokers;
  }

  private static String key(Plugin plugin) {
    return plugin.getMetadata().getNamespace() + "/" + plugin.getMetadata().getName();
  }

  private static String uid(Plugin plugin) {
    String uid = plugin.getMetadata().getUid();
    return uid == null ? key(plugin) : uid;
  }
}
