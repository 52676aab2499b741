package io.corebus.runtime.bus;

import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service's route as the caller uses it: the published {@link ServiceRoute} plus the state of
 * picking (which version next, by weight; which endpoint next, round robin). Replaced as a whole
 * when the operator publishes a different route, so a change applies to the next call.
 *
 * <p>Versions that say they have no Ready replica ({@link VersionRoute#hasReadyReplicas()}) are not
 * picked while another weighted version has one; when none has, {@link #hasReadyVersion()} is false
 * and the caller waits for the route to change instead of sending.
 */
final class ResolvedRoute {
  private final ServiceRoute route;
  private final SmoothWeightedRoundRobin versions;
  private final AtomicInteger[] endpointCursors;
  private final boolean readyVersion;

  ResolvedRoute(ServiceRoute route) {
    this.route = route;
    List<VersionRoute> v = route.versions();
    readyVersion = v.stream().anyMatch(r -> r.weight() > 0 && r.hasReadyReplicas());
    int[] weights = new int[v.size()];
    endpointCursors = new AtomicInteger[v.size()];
    for (int i = 0; i < weights.length; i++) {
      VersionRoute r = v.get(i);
      weights[i] = readyVersion && !r.hasReadyReplicas() ? 0 : r.weight();
      endpointCursors[i] = new AtomicInteger();
    }
    this.versions = new SmoothWeightedRoundRobin(weights);
  }

  /** Whether a version with weight above 0 has Ready replicas (or does not say). */
  boolean hasReadyVersion() {
    return readyVersion;
  }

  ServiceRoute route() {
    return route;
  }

  /** The version for the next call, or -1 when no version has a weight above 0. */
  int pickVersion() {
    return versions.next();
  }

  VersionRoute version(int index) {
    return route.versions().get(index);
  }

  /** The next endpoint of a version, round robin; null when it has none. */
  Endpoint nextEndpoint(int versionIndex) {
    List<Endpoint> endpoints = route.versions().get(versionIndex).endpoints();
    if (endpoints.isEmpty()) {
      return null;
    }
    int n = endpointCursors[versionIndex].getAndIncrement();
    return endpoints.get(Math.floorMod(n, endpoints.size()));
  }
}
