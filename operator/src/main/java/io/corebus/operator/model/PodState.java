package io.corebus.operator.model;

import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.stream.Stream;

/** What the operator reads from a pod it created. */
public final class PodState {
  private PodState() {}

  public static boolean isReady(Pod pod) {
    return pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase())
        && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** Failed or Succeeded: the runtime will not come back by itself (restartPolicy aside). */
  public static boolean isFinished(Pod pod) {
    return pod.getStatus() != null
        && ("Failed".equals(pod.getStatus().getPhase())
            || "Succeeded".equals(pod.getStatus().getPhase()));
  }

  public static boolean isTerminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  public static String revision(Pod pod) {
    return label(pod, PluginNames.LABEL_REVISION);
  }

  /** The pod's ordinal, or -1 when its label is missing or not a number. */
  public static int ordinal(Pod pod) {
    String v = label(pod, PluginNames.LABEL_ORDINAL);
    if (v == null) {
      return -1;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  public static String version(Pod pod) {
    String env = envValue(pod, RuntimeContract.ENV_PLUGIN_VERSION);
    return env != null ? env : label(pod, PluginNames.LABEL_VERSION);
  }

  private static String label(Pod pod, String key) {
    return pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(key);
  }

  private static String envValue(Pod pod, String name) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    return pod.getSpec().getContainers().stream()
        .filter(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
        .flatMap(c -> c.getEnv() == null ? Stream.empty() : c.getEnv().stream())
        .filter(e -> name.equals(e.getName()))
        .map(EnvVar::getValue)
        .findFirst()
        .orElse(null);
  }
}
