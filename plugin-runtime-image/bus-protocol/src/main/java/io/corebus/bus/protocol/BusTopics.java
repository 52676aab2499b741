package io.corebus.bus.protocol;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The names of every Kafka topic and consumer group of the bus, in one place. The operator creates
 * topics with these names and the runtime uses them; plug-ins never see them.
 *
 * <p>All names of one Corebus installation start with a prefix (default {@value #DEFAULT_PREFIX})
 * and the Kubernetes namespace, so several namespaces, or installations, can share a Kafka cluster:
 *
 * <table>
 *   <caption>Topics and groups of namespace {@code shop}</caption>
 *   <tr><th>what</th><th>name</th><th>who creates it</th></tr>
 *   <tr><td>requests for a service</td><td>{@code corebus.shop.rpc.shop.payment.PaymentService}</td>
 *       <td>operator (partitions &ge; replicas.max of the provider)</td></tr>
 *   <tr><td>second request lane of a service (canary rollouts)</td>
 *       <td>{@code corebus.shop.rpc.shop.payment.PaymentService-b}</td><td>operator</td></tr>
 *   <tr><td>reply slot of one runtime instance (pod)</td><td>{@code corebus.shop.reply.payment.payment-7d9f-0}</td>
 *       <td>the runtime at start (idempotent); the operator deletes it with the pod</td></tr>
 *   <tr><td>events of a type</td><td>{@code corebus.shop.event.shop.order.OrderPlaced}</td><td>operator</td></tr>
 *   <tr><td>a plug-in's dead letters</td><td>{@code corebus.shop.dlq.payment}</td><td>operator</td></tr>
 *   <tr><td>runtime telemetry</td><td>{@code corebus.shop.telemetry}</td><td>operator</td></tr>
 *   <tr><td>route table (compacted)</td><td>{@code corebus.shop.routes}</td><td>operator</td></tr>
 *   <tr><td>control commands (compacted, key = plug-in)</td><td>{@code corebus.shop.control}</td><td>operator</td></tr>
 *   <tr><td>callers' public keys (compacted; secured bus)</td><td>{@code corebus.shop.keys}</td><td>operator</td></tr>
 *   <tr><td>a plug-in's request consumers</td><td>group {@code corebus.shop.payment.rpc}</td><td>-</td></tr>
 *   <tr><td>a plug-in's event consumers</td><td>group {@code corebus.shop.payment.events}</td><td>-</td></tr>
 * </table>
 *
 * <p>Service names are protobuf full names (letters, digits, '_' and '.') and event types add '-';
 * all are legal in topic names. Kafka refuses topics that differ only by '.' versus '_' (their
 * metric names collide), so two such services cannot coexist in one namespace.
 */
public final class BusTopics {

  public static final String DEFAULT_PREFIX = "corebus";

  /** Kafka's limit on topic name length. */
  public static final int MAX_TOPIC_LENGTH = 249;

  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  private final String prefix;
  private final String namespace;

  private BusTopics(String prefix, String namespace) {
    this.prefix = requireLegal("prefix", prefix);
    this.namespace = requireLabel("namespace", namespace);
  }

  /** The names used in a namespace, with the default prefix. */
  public static BusTopics forNamespace(String namespace) {
    return new BusTopics(DEFAULT_PREFIX, namespace);
  }

  /** The names used in a namespace by an installation with its own prefix. */
  public static BusTopics forNamespace(String prefix, String namespace) {
    return new BusTopics(prefix, namespace);
  }

  public String namespace() {
    return namespace;
  }

  /** The installation's prefix of every name. */
  public String prefix() {
    return prefix;
  }

  /**
   * The topic holding requests for one gRPC service, such as {@code shop.payment.PaymentService}.
   */
  public String requests(String service) {
    return topic("rpc", service);
  }

  /**
   * The second request topic ("lane b") of a service whose plug-in rolls out by canary. During a
   * canary the stable revision consumes one lane and the new revision the other, and the route
   * gives each version its lane, so the callers' weighted choice is the exact split. The lanes swap
   * roles at each promotion: the promoted revision stays on its lane and the old one drains its
   * lane before its pods go. The suffix uses '-', which a protobuf service name cannot contain, so
   * it never collides with another service's topic.
   */
  public String alternateRequests(String service) {
    String topic = requests(service) + ALTERNATE_LANE_SUFFIX;
    if (topic.length() > MAX_TOPIC_LENGTH) {
      throw new IllegalArgumentException(
          "second request topic of '"
              + service
              + "' would be "
              + topic.length()
              + " characters; Kafka allows "
              + MAX_TOPIC_LENGTH);
    }
    return topic;
  }

  /** Appended to a service's request topic to name its second lane. */
  public static final String ALTERNATE_LANE_SUFFIX = "-b";

  /**
   * The reply slot of one runtime instance (pod) of a plug-in: a single-partition topic that only
   * that instance reads. Callers send the slot's name in every request, so a reply reaches exactly
   * the instance that waits for it (no fan-out of replies to other pods, no topic per request).
   *
   * <p>The plug-in's name comes first, then a dot: plug-in names are DNS labels (no dots), so
   * {@link #replyPrefix} of {@code pay} never covers a slot of {@code pay-v2}, and a prefixed Kafka
   * ACL can give each plug-in its own slots only.
   */
  public String replies(String plugin, String instance) {
    return topic(
        "reply", requireLabel("plugin", plugin) + "." + requireLegal("instance", instance));
  }

  /** The common start of every reply slot of a plug-in's instances, ending with a dot. */
  public String replyPrefix(String plugin) {
    return replyPrefix() + requireLabel("plugin", plugin) + ".";
  }

  /** The common start of every reply slot in the namespace, ending with a dot. */
  public String replyPrefix() {
    return prefix + "." + namespace + ".reply.";
  }

  /** The topic of one event type, such as {@code shop.order.OrderPlaced}. */
  public String events(String eventType) {
    return topic("event", eventType);
  }

  /** Where a plug-in's events go after their handling failed a bounded number of times. */
  public String deadLetters(String plugin) {
    return topic("dlq", requireLabel("plugin", plugin));
  }

  /** Where every runtime publishes its figures once a second; the operator reads it. */
  public String telemetry() {
    return prefix + "." + namespace + ".telemetry";
  }

  /** The compacted topic where the operator publishes the route of each service. */
  public String routes() {
    return prefix + "." + namespace + ".routes";
  }

  /**
   * The compacted topic where the operator tells runtimes which artifact to run (hot swap): one
   * {@link DesiredArtifact} per plug-in, keyed by the plug-in's name.
   */
  public String control() {
    return prefix + "." + namespace + ".control";
  }

  /**
   * The compacted topic where the operator publishes each plug-in's public key for signed calls
   * (key: plug-in name, value: the key, see {@code CallSignature}); only the operator writes it.
   */
  public String keys() {
    return prefix + "." + namespace + ".keys";
  }

  /** The consumer group of a plug-in's request consumers: its replicas share the requests. */
  public String requestGroup(String plugin) {
    return prefix + "." + namespace + "." + requireLabel("plugin", plugin) + ".rpc";
  }

  /** The consumer group of a plug-in's event consumers: each event once per plug-in. */
  public String eventGroup(String plugin) {
    return prefix + "." + namespace + "." + requireLabel("plugin", plugin) + ".events";
  }

  private String topic(String kind, String name) {
    String topic = prefix + "." + namespace + "." + kind + "." + requireLegal(kind, name);
    if (topic.length() > MAX_TOPIC_LENGTH) {
      throw new IllegalArgumentException(
          "topic name for "
              + kind
              + " '"
              + name
              + "' would be "
              + topic.length()
              + " characters; Kafka allows "
              + MAX_TOPIC_LENGTH);
    }
    return topic;
  }

  private static String requireLegal(String what, String value) {
    Objects.requireNonNull(value, what);
    if (!LEGAL.matcher(value).matches() || value.equals(".") || value.equals("..")) {
      throw new IllegalArgumentException(
          what + " '" + value + "' may contain only letters, digits, '.', '_' and '-'");
    }
    return value;
  }

  private static String requireLabel(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " '" + value + "' must be a DNS label (lower-case letters, digits, '-')");
    }
    return value;
  }
}
