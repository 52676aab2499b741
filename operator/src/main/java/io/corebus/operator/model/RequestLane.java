package io.corebus.operator.model;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which of a service's two request topics a pod consumes: lane A is {@link
 * BusTopics#requests(String)}, lane B {@link BusTopics#alternateRequests(String)}. A pod's lane is
 * fixed at creation (its {@code COREBUS_REQUEST_TOPICS}) and read back from the pod, so routes
 * always name the topic the pods of a revision really consume, and an operator restart needs no
 * other record of it.
 */
public enum RequestLane {
  A,
  B;

  public RequestLane other() {
    return this == A ? B : A;
  }

  /** The topic of each provided service on this lane. */
  public RequestTopics topics(Plugin plugin) {
    BusTopics names = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    Map<String, String> byService = new LinkedHashMap<>();
    if (plugin.getSpec().getProvides() != null) {
      for (ProvidedService p : plugin.getSpec().getProvides()) {
        if (p.getService() != null) {
          byService.put(
              p.getService(),
              this == A ? names.requests(p.getService()) : names.alternateRequests(p.getService()));
        }
      }
    }
    return RequestTopics.of(byService);
  }

  /** The lane a pod consumes: B when its request topics name a second lane, else A. */
  public static RequestLane of(Pod pod) {
    String value = env(pod, RuntimeContract.ENV_REQUEST_TOPICS);
    if (value == null || value.isBlank()) {
      return A;
    }
    for (String entry : value.split(";")) {
      if (entry.trim().endsWith(BusTopics.ALTERNATE_LANE_SUFFIX)) {
        return B;
      }
    }
    return A;
  }

  /**
   * The lane for a revision's new pods outside a canary: that of its live pods, else that of the
   * plug-in's other live pods (a Rolling update shares the topic it replaces), else A.
   */
  public static RequestLane forNewPods(String revision, List<Pod> pods) {
    List<Pod> live =
        pods.stream().filter(p -> !PodState.isTerminating(p) && !PodState.isFinished(p)).toList();
    return live.stream()
        .filter(p -> revision.equals(PodState.revision(p)))
        .findFirst()
        .or(() -> live.stream().findFirst())
        .map(RequestLane::of)
        .orElse(A);
  }

  /** Puts a freshly rendered pod on this lane (rewrites its {@code COREBUS_REQUEST_TOPICS}). */
  public Pod apply(Pod pod, Plugin plugin) {
    if (this == A) {
      return pod; // PluginPods renders lane A
    }
    String value = topics(plugin).format();
    for (Container c : pod.getSpec().getContainers()) {
      if (RuntimeContract.CONTAINER_NAME.equals(c.getName()) && c.getEnv() != null) {
        for (EnvVar e : c.getEnv()) {
          if (RuntimeContract.ENV_REQUEST_TOPICS.equals(e.getName())) {
            e.setValue(value);
          }
        }
      }
    }
    return pod;
  }

  private static String env(Pod pod, String name) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    return pod.getSpec().getContainers().stream()
        .filter(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
        .flatMap(c -> c.getEnv() == null ? java.util.stream.Stream.empty() : c.getEnv().stream())
        .filter(e -> name.equals(e.getName()))
        .map(EnvVar::getValue)
        .filter(Objects::nonNull)
        .findFirst()
        .orElse(null);
  }
}
