package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.crds.Transport;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.VersionWeights;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The routes a Plugin's services should have, from its pods as they are, with no I/O. A version is
 * a pod revision with Ready pods, weighted by its share of them: one version with weight 100 when
 * the plug-in is stable, two during a Rolling roll. With no Ready pod at all, the current revision
 * gets weight 100 and no endpoints (bus requests wait in the request topic until a pod consumes).
 * Hybrid routes list the Ready pods' {@code ip:9090}.
 */
public final class DesiredRoutes {
  private DesiredRoutes() {}

  public static List<ServiceRoute> of(Plugin pluginResource, String revision, List<Pod> pods) {
    BusTopics topics = BusTopics.forNamespace(pluginResource.getMetadata().getNamespace());
    Map<String, List<Pod>> readyByRevision = new TreeMap<>();
    for (Pod p : pods) {
      if (!PodState.isTerminating(p) && !PodState.isFinished(p) && PodState.isReady(p)) {
        readyByRevision
            .computeIfAbsent(Objects.toString(PodState.revision(p), ""), r -> new ArrayList<>())
            .add(p);
      }
    }
    List<ServiceRoute> routes = new ArrayList<>();
    if (pluginResource.getSpec().getProvides() == null) {
      return routes;
    }
    for (ProvidedService provided : pluginResource.getSpec().getProvides()) {
      Transport transport =
          provided.getTransport() == null ? Transport.bus : provided.getTransport();
      String plugin = pluginResource.getMetadata().getName();
      String topic = topics.requests(provided.getService());
      List<ServiceRoute.VersionRoute> versions = new ArrayList<>();
      if (readyByRevision.isEmpty()) {
        versions.add(
            new ServiceRoute.VersionRoute(
                plugin, pluginResource.getSpec().getVersion(), revision, 100, topic, List.of()));
      } else {
        // The current revision first, then the older ones.
        List<String> order = new ArrayList<>(readyByRevision.keySet());
        order.sort((a, b) -> Boolean.compare(!revision.equals(a), !revision.equals(b)));
        List<Integer> weights =
            VersionWeights.split(order.stream().map(r -> readyByRevision.get(r).size()).toList());
        for (int i = 0; i < order.size(); i++) {
          List<Pod> ready = readyByRevision.get(order.get(i));
          List<String> endpoints =
              transport == Transport.hybrid
                  ? ready.stream()
                      .map(p -> p.getStatus().getPodIP())
                      .filter(ip -> ip != null && !ip.isBlank())
                      .map(DesiredRoutes::endpoint)
                      .sorted()
                      .toList()
                  : List.of();
          versions.add(
              new ServiceRoute.VersionRoute(
                  plugin,
                  PodState.version(ready.get(0)),
                  order.get(i),
                  weights.get(i),
                  topic,
                  endpoints));
        }
      }
      routes.add(
          new ServiceRoute(
              provided.getService(),
              transport,
              provided.getAllowedCallers() == null ? List.of() : provided.getAllowedCallers(),
              versions));
    }
    return routes;
  }

  /** {@code ip:9090}, with an IPv6 address in brackets. */
  static String endpoint(String ip) {
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + RuntimeContract.GRPC_PORT;
  }
}
