package io.corebus.bus.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The route of one gRPC service, as the operator publishes it on the compacted route-table topic
 * ({@link BusTopics#routes()}; record key: the service name; value: {@link RouteCodec}'s JSON).
 *
 * <p>A caller's runtime uses the route to pick a version by weight and send the call to that
 * version's {@link VersionRoute#topic() topic} (transport {@code bus}) or to one of its {@link
 * VersionRoute#endpoints() endpoints} over direct gRPC (transport {@code hybrid}, falling back to
 * the topic when the endpoint is unavailable).
 *
 * <p>Rules, checked on construction (so a malformed route is refused by the writer and skipped by
 * readers): weights are 0..100 and add up to 100, or are all 0 (the service is known but no version
 * takes calls: callers get {@code UNAVAILABLE}); a version with weight &gt; 0 has a topic, or, on a
 * hybrid route, a topic or at least one endpoint; no two versions share plug-in and revision.
 *
 * @param service the full protobuf service name, such as {@code shop.payment.PaymentService}
 * @param transport how calls travel
 * @param allowedCallers the Plugins that may call the service; empty means any
 * @param versions the versions that serve the service, in the operator's order
 */
public record ServiceRoute(
    String service, Transport transport, List<String> allowedCallers, List<VersionRoute> versions) {

  private static final Pattern SERVICE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** How calls to a service travel. */
  public enum Transport {
    /** As Kafka records through the bus. */
    BUS("bus"),
    /** Direct gRPC to an endpoint of the picked version; the bus when that is unavailable. */
    HYBRID("hybrid");

    private final String wire;

    Transport(String wire) {
      this.wire = wire;
    }

    /** The value in the route record ({@code bus} or {@code hybrid}). */
    public String wire() {
      return wire;
    }

    public static Transport fromWire(String value) {
      for (Transport t : values()) {
        if (t.wire.equals(value)) {
          return t;
        }
      }
      throw new IllegalArgumentException("transport '" + value + "' is neither 'bus' nor 'hybrid'");
    }
  }

  public ServiceRoute {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(transport, "transport");
    allowedCallers = allowedCallers == null ? List.of() : List.copyOf(allowedCallers);
    versions = versions == null ? List.of() : List.copyOf(versions);
    if (service.length() > 200 || !SERVICE.matcher(service).matches()) {
      throw new IllegalArgumentException(
          "service '" + service + "' is not a full protobuf service name");
    }
    for (String caller : allowedCallers) {
      if (!DNS_LABEL.matcher(caller).matches()) {
        throw new IllegalArgumentException(
            "allowed caller '" + caller + "' of " + service + " is not a Plugin name");
      }
    }
    int sum = 0;
    Set<String> seen = new HashSet<>();
    for (VersionRoute v : versions) {
      sum += v.weight();
      if (!seen.add(v.plugin() + "/" + v.revision())) {
        throw new IllegalArgumentException(
            "route of "
                + service
                + " lists plug-in "
                + v.plugin()
                + " revision '"
                + v.revision()
                + "' twice");
      }
      if (v.weight() > 0
          && !v.hasTopic()
          && (transport == Transport.BUS || v.endpoints().isEmpty())) {
        throw new IllegalArgumentException(
            "version "
                + v.version()
                + " of "
                + service
                + " has weight "
                + v.weight()
                + " but no topic"
                + (transport == Transport.HYBRID ? " and no endpoint" : ""));
      }
    }
    if (sum != 100 && sum != 0) {
      throw new IllegalArgumentException(
          "the weights of " + service + " add up to " + sum + "; they must add up to 100 (or 0)");
    }
  }

  /** Whether some version takes calls (a weight above 0). */
  public boolean serving() {
    return versions.stream().anyMatch(v -> v.weight() > 0);
  }

  /** Whether {@code caller} may call the service according to this route. */
  public boolean permits(String caller) {
    return allowedCallers.isEmpty() || (caller != null && allowedCallers.contains(caller));
  }
}
