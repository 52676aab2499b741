package io.corebus.bus.protocol;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What each plug-in's Kafka principal may do on a secured bus: the ACLs the operator keeps on the
 * broker, computed from the plug-ins of a namespace with no I/O. Least privilege:
 *
 * <ul>
 *   <li>read its own request topics (both lanes, as its request group), its subscribed event types
 *       (as its event group), the route table, the callers' keys and the control topic (hot swap);
 *   <li>create, read and write its own reply slots (prefix {@link BusTopics#replyPrefix(String)});
 *   <li>write the request topics (both lanes) of every service whose {@code allowedCallers} include
 *       it (a service without {@code allowedCallers} may be called by every plug-in of the
 *       namespace);
 *   <li>write replies to any reply slot of the namespace (if it provides services: a callee answers
 *       whoever called), its published event types, its dead letters and the telemetry topic;
 *   <li>idempotent writes on the cluster (its producers are idempotent).
 * </ul>
 *
 * Nothing else: no other plug-in's requests, replies, groups or events, no route or key writes
 * (only the operator writes those), no topic creation outside its reply slots. Reading or writing
 * implies describing in Kafka, so no DESCRIBE grants are needed.
 */
public final class BusPermissions {
  private BusPermissions() {}

  public enum ResourceType {
    TOPIC,
    GROUP,
    CLUSTER
  }

  public enum PatternType {
    LITERAL,
    PREFIXED
  }

  public enum Operation {
    READ,
    WRITE,
    CREATE,
    IDEMPOTENT_WRITE
  }

  /** Kafka's name of the cluster resource. */
  public static final String CLUSTER_NAME = "kafka-cluster";

  /** One ALLOW ACL for any host. */
  public record Grant(
      String principal,
      ResourceType resourceType,
      PatternType patternType,
      String name,
      Operation operation) {
    public Grant {
      Objects.requireNonNull(principal);
      Objects.requireNonNull(resourceType);
      Objects.requireNonNull(patternType);
      Objects.requireNonNull(name);
      Objects.requireNonNull(operation);
    }

    @Override
    public String toString() {
      return principal
          + " "
          + operation
          + " "
          + resourceType
          + (patternType == PatternType.PREFIXED ? " prefix " : " ")
          + name;
    }
  }

  /**
   * A plug-in as far as permissions go.
   *
   * @param plugin its name
   * @param provides the services it provides, each with its allowed callers (empty: anyone)
   * @param publishes the event types it publishes
   * @param subscribes the event types it subscribes to
   */
  public record Member(
      String plugin,
      Map<String, ? extends Collection<String>> provides,
      Set<String> publishes,
      Set<String> subscribes) {
    public Member {
      provides = Map.copyOf(provides);
      publishes = Set.copyOf(publishes);
      subscribes = Set.copyOf(subscribes);
    }
  }

  /** The Kafka user name of a plug-in: {@code <prefix>.<namespace>.<plugin>}. */
  public static String userName(BusTopics topics, String plugin) {
    return topics.prefix() + "." + topics.namespace() + "." + plugin;
  }

  /** The Kafka principal of a plug-in, {@code User:<user name>}. */
  public static String principal(BusTopics topics, String plugin) {
    return "User:" + userName(topics, plugin);
  }

  /**
   * The grants of {@code member}, given every plug-in of its namespace (it may be among them). A
   * service provided by several plug-ins (an invalid state the operator reports) is callable by the
   * union of their allowed callers.
   */
  public static SortedSet<Grant> of(
      BusTopics topics, Member member, Collection<Member> namespacePlugins) {
    String p = principal(topics, member.plugin());
    SortedSet<Grant> out = new TreeSet<>(ORDER);
    // Its own requests.
    for (String service : member.provides().keySet()) {
      // Both request lanes: during a canary one revision consumes each
      // (BusTopics#alternateRequests).
      out.add(topic(p, topics.requests(service), Operation.READ));
      out.add(topic(p, topics.alternateRequests(service), Operation.READ));
    }
    if (!member.provides().isEmpty()) {
      out.add(group(p, topics.requestGroup(member.plugin())));
      // Answers go to the callers' reply slots.
      out.add(
          new Grant(
              p, ResourceType.TOPIC, PatternType.PREFIXED, topics.replyPrefix(), Operation.WRITE));
    }
    // Its reply slots: created at start, read, and written by callees (covered above).
    String slots = topics.replyPrefix(member.plugin());
    for (Operation op : new Operation[] {Operation.CREATE, Operation.READ}) {
      out.add(new Grant(p, ResourceType.TOPIC, PatternType.PREFIXED, slots, op));
    }
    // Calls: every service that admits it.
    Set<String> callable = new LinkedHashSet<>();
    for (Member other : namespacePlugins) {
      if (other.plugin().equals(member.plugin())) {
        continue; // calling itself goes through the bus too
      }
      other
          .provides()
          .forEach(
              (service, callers) -> {
                if (callers.isEmpty() || callers.contains(member.plugin())) {
                  callable.add(service);
                }
              });
    }
    member
        .provides()
        .forEach(
            (service, callers) -> {
              if (callers.isEmpty() || callers.contains(member.plugin())) {
                callable.add(service);
              }
            });
    for (String service : callable) {
      out.add(topic(p, topics.requests(service), Operation.WRITE));
      out.add(topic(p, topics.alternateRequests(service), Operation.WRITE));
    }
    // Events.
    for (String type : member.publishes()) {
      out.add(topic(p, topics.events(type), Operation.WRITE));
    }
    if (!member.subscribes().isEmpty()) {
      out.add(group(p, topics.eventGroup(member.plugin())));
      out.add(topic(p, topics.deadLetters(member.plugin()), Operation.WRITE));
    }
    for (String type : member.subscribes()) {
      out.add(topic(p, topics.events(type), Operation.READ));
    }
    // What the core publishes for every runtime, and what every runtime reports.
    out.add(topic(p, topics.routes(), Operation.READ));
    out.add(topic(p, topics.keys(), Operation.READ));
    out.add(topic(p, topics.control(), Operation.READ));
    out.add(topic(p, topics.telemetry(), Operation.WRITE));
    out.add(
        new Grant(
            p,
            ResourceType.CLUSTER,
            PatternType.LITERAL,
            CLUSTER_NAME,
            Operation.IDEMPOTENT_WRITE));
    return out;
  }

  private static Grant topic(String principal, String name, Operation op) {
    return new Grant(principal, ResourceType.TOPIC, PatternType.LITERAL, name, op);
  }

  private static Grant group(String principal, String name) {
    return new Grant(principal, ResourceType.GROUP, PatternType.LITERAL, name, Operation.READ);
  }

  /** Sorted for stable logs and diffs. */
  public static final Comparator<Grant> ORDER =
      Comparator.comparing(Grant::principal)
          .thenComparing(Grant::resourceType)
          .thenComparing(Grant::patternType)
          .thenComparing(Grant::name)
          .thenComparing(Grant::operation);
}
