package io.corebus.bus.protocol;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One version of a service in its {@link ServiceRoute}: which plug-in revision serves it, what
 * share of new calls it gets, and where those calls go.
 *
 * @param plugin the providing Plugin resource's name
 * @param version the plug-in's {@code spec.version}
 * @param revision the pod template revision of that version (as in {@code COREBUS_REVISION})
 * @param weight the percentage (0..100) of new calls this version gets; the weights of one route
 *     add up to 100, or are all 0 when no version may take calls
 * @param topic the Kafka topic that carries this version's requests, named by the operator (callers
 *     never compute it); null when the version takes calls only directly (a hybrid route)
 * @param endpoints the ready replicas' direct gRPC addresses, used by hybrid routes; may be empty
 * @param ready how many replicas of this version are Ready (consuming), or null when the writer
 *     does not say (an older operator, a hand-written route): unknown counts as ready. A caller
 *     does not send to a route none of whose weighted versions has a Ready replica; it waits for
 *     the route to change instead (within the call's deadline)
 */
public record VersionRoute(
    String plugin,
    String version,
    String revision,
    int weight,
    String topic,
    List<Endpoint> endpoints,
    Integer ready) {

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+-]{1,64}");
  private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._-]{0,63}");
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public VersionRoute {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(version, "version");
    revision = revision == null ? "" : revision;
    endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
    if (!DNS_LABEL.matcher(plugin).matches()) {
      throw new IllegalArgumentException("plugin '" + plugin + "' is not a Plugin name");
    }
    if (!VERSION.matcher(version).matches()) {
      throw new IllegalArgumentException(
          "version '" + version + "' must be 1-64 letters, digits, '.', '_', '+' or '-'");
    }
    if (!REVISION.matcher(revision).matches()) {
      throw new IllegalArgumentException(
          "revision '" + revision + "' must be up to 63 letters, digits, '.', '_' or '-'");
    }
    if (weight < 0 || weight > 100) {
      throw new IllegalArgumentException(
          "weight " + weight + " of version " + version + " is not within 0..100");
    }
    if (ready != null && ready < 0) {
      throw new IllegalArgumentException(
          "ready " + ready + " of version " + version + " is negative");
    }
    if (topic != null && (!TOPIC.matcher(topic).matches() || topic.equals(".."))) {
      throw new IllegalArgumentException("topic '" + topic + "' is not a legal Kafka topic name");
    }
  }

  /** A version whose number of Ready replicas is not known (treated as ready). */
  public VersionRoute(
      String plugin,
      String version,
      String revision,
      int weight,
      String topic,
      List<Endpoint> endpoints) {
    this(plugin, version, revision, weight, topic, endpoints, null);
  }

  /** A version reached over the bus only. */
  public static VersionRoute bus(
      String plugin, String version, String revision, int weight, String topic) {
    return new VersionRoute(
        plugin, version, revision, weight, Objects.requireNonNull(topic, "topic"), List.of());
  }

  /** The same version with these direct gRPC endpoints (for a hybrid route). */
  public VersionRoute withEndpoints(List<Endpoint> endpoints) {
    return new VersionRoute(plugin, version, revision, weight, topic, endpoints, ready);
  }

  /** The same version with this number of Ready replicas (null: unknown). */
  public VersionRoute withReady(Integer ready) {
    return new VersionRoute(plugin, version, revision, weight, topic, endpoints, ready);
  }

  /** The same version with another weight (for a rollout step). */
  public VersionRoute withWeight(int weight) {
    return new VersionRoute(plugin, version, revision, weight, topic, endpoints, ready);
  }

  /** Whether a replica may be consuming this version's calls: Ready ones, or an unknown count. */
  public boolean hasReadyReplicas() {
    return ready == null || ready > 0;
  }

  public boolean hasTopic() {
    return topic != null;
  }
}
