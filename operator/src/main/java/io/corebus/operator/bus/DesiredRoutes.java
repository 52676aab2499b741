package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.crds.Transport;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.model.VersionWeights;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The routes a Plugin's services should have in the route table, from its pods as they are, with no
 * I/O. The records are bus-protocol's {@link ServiceRoute}s, so what the operator computes is what
 * runtimes read.
 *
 * <ul>
 *   <li>transport and allowed callers come from {@code provides[]};
 *   <li>a version is a pod revision with Ready pods, weighted by its share of them: one version
 *       with weight 100 when the plug-in is stable, two during a Rolling roll (the current revision
 *       first);
 *   <li>every version says how many of its pods are Ready ({@code ready});
 *   <li>with no Ready pod at all, the current revision gets weight 100, no endpoints and {@code
 *       ready} 0. A caller's runtime then sends nothing: it waits (within the call's deadline) for
 *       the route to name a Ready replica and sends at once when it does, so a starting plug-in
 *       answers its first callers instead of failing them, and a plug-in that never comes up yields
 *       UNAVAILABLE ("no ready replica") shortly before the caller's deadline, never NOT_FOUND.
 *       (All-zero weights would fail every call at once with UNAVAILABLE after a few retries, even
 *       when the first pod is seconds away from Ready.) An older runtime that does not know {@code
 *       ready} sends to the request topic, where the call waits for a consumer;
 *   <li>every version's topic is the one its pods consume ({@code COREBUS_REQUEST_TOPICS}, read
 *       back from the pods: the service's request topic, or its second lane for a canary, see
 *       {@link RequestLane});
 *   <li>during a canary the weights are the canary's ({@link #of(Plugin, String, List, boolean,
 *       List)}): exact, whatever the pod counts;
 *   <li>hybrid routes list each Ready pod's {@code ip:9090} ({@code [ip]:9090} for IPv6); bus
 *       routes list none.
 * </ul>
 */
public final class DesiredRoutes {
  private DesiredRoutes() {}

  /**
   * @param revision the Plugin's current pod template revision
   * @param pods the Plugin's pods (terminating and finished ones are ignored)
   * @throws IllegalArgumentException when a route would break bus-protocol's rules (the validator
   *     keeps such Plugins away, so this names a bug or a hand-edited pod)
   */
  public static List<ServiceRoute> of(Plugin plugin, String revision, List<Pod> pods) {
    return of(plugin, revision, pods, false);
  }

  /**
   * @param parkOnTopic with no Ready pod, publish the version without {@code ready}, so callers
   *     send to the request topic instead of waiting: for a plug-in that may be scaled to zero,
   *     where the waiting requests are what wakes it up (the operator reads them from Kafka), and
   *     the first replica finds them there
   */
  public static List<ServiceRoute> of(
      Plugin plugin, String revision, List<Pod> pods, boolean parkOnTopic) {
    return of(plugin, revision, pods, parkOnTopic, null);
  }

  /**
   * A version's explicit share of the calls (a canary step).
   *
   * @param revision the pod revision
   * @param version its plug-in version
   * @param weight its percentage; the shares add up to 100
   * @param lane the request lane its pods consume
   */
  public record Share(String revision, String version, int weight, RequestLane lane) {}

  /**
   * @param shares explicit weights in route order (a canary), or null: weights by Ready pods.
   *     Versions with weight 0 are left out; a version without Ready pods is listed with {@code
   *     ready} 0 (callers wait for it within their deadline).
   */
  public static List<ServiceRoute> of(
      Plugin plugin, String revision, List<Pod> pods, boolean parkOnTopic, List<Share> shares) {
    List<ServiceRoute> routes = new ArrayList<>();
    if (plugin.getSpec().getProvides() == null) {
      return routes;
    }
    BusTopics topics = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    Map<String, List<Pod>> readyByRevision = new TreeMap<>();
    for (Pod p : pods) {
      if (!PodState.isTerminating(p) && !PodState.isFinished(p) && PodState.isReady(p)) {
        readyByRevision
            .computeIfAbsent(Objects.toString(PodState.revision(p), ""), r -> new ArrayList<>())
            .add(p);
      }
    }
    // The current revision first, then the older ones (by name, for a stable order).
    List<String> order = new ArrayList<>(readyByRevision.keySet());
    order.sort(Comparator.comparing((String r) -> !revision.equals(r)));
    List<Integer> weights =
        VersionWeights.split(order.stream().map(r -> readyByRevision.get(r).size()).toList());
    RequestTopics parkedLane = RequestLane.forNewPods(revision, pods).topics(plugin);

    String name = plugin.getMetadata().getName();
    for (ProvidedService provided : plugin.getSpec().getProvides()) {
      if (provided.getService() == null) {
        continue;
      }
      String service = provided.getService();
      boolean hybrid = provided.getTransport() == Transport.hybrid;
      List<VersionRoute> versions = new ArrayList<>();
      if (shares != null) {
        for (Share share : shares) {
          if (share.weight() == 0) {
            continue;
          }
          List<Pod> ready = readyByRevision.getOrDefault(share.revision(), List.of());
          versions.add(
              new VersionRoute(
                  name,
                  share.version(),
                  share.revision(),
                  share.weight(),
                  share.lane().topics(plugin).topicOf(service, topics),
                  hybrid ? endpoints(ready) : List.of(),
                  ready.size()));
        }
      } else {
        if (order.isEmpty()) {
          VersionRoute parked =
              VersionRoute.bus(
                  name,
                  plugin.getSpec().getVersion(),
                  revision,
                  100,
                  parkedLane.topicOf(service, topics));
          versions.add(parkOnTopic ? parked : parked.withReady(0));
        }
        for (int i = 0; i < order.size(); i++) {
          List<Pod> ready = readyByRevision.get(order.get(i));
          versions.add(
              new VersionRoute(
                  name,
                  versionOf(ready.get(0), plugin),
                  order.get(i),
                  weights.get(i),
                  RequestLane.of(ready.get(0)).topics(plugin).topicOf(service, topics),
                  hybrid ? endpoints(ready) : List.of(),
                  ready.size()));
        }
      }
      routes.add(
          new ServiceRoute(
              provided.getService(),
              hybrid ? ServiceRoute.Transport.HYBRID : ServiceRoute.Transport.BUS,
              provided.getAllowedCallers() == null ? List.of() : provided.getAllowedCallers(),
              versions));
    }
    return routes;
  }

  /** The version a pod runs; the Plugin's for a pod that does not say (made by hand). */
  private static String versionOf(Pod pod, Plugin plugin) {
    String version = PodState.version(pod);
    return version == null || version.isBlank() ? plugin.getSpec().getVersion() : version;
  }

  /** The Ready pods' direct gRPC addresses, sorted so an unchanged set is an unchanged route. */
  static List<Endpoint> endpoints(List<Pod> ready) {
    return ready.stream()
        .map(p -> p.getStatus().getPodIP())
        .filter(ip -> ip != null && !ip.isBlank())
        .distinct()
        .map(ip -> new Endpoint(ip, RuntimeContract.GRPC_PORT))
        .sorted(Comparator.comparing(Endpoint::toString))
        .toList();
  }
}
