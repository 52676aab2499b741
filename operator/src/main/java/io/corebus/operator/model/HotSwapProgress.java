package io.corebus.operator.model;

import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.JarArtifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a HotSwap Plugin's pods stand against its desired jar, from their telemetry (no I/O). A pod
 * is on the desired jar when its runtime reports the jar's SHA-256, or, while it reports none, when
 * it was started with that jar (its {@code COREBUS_JAR_SHA256}): a new Plugin or a pod created
 * after the change needs no telemetry. The swap is complete when every Ready pod of the current
 * revision is on it. A pod that reports a swap error failed to swap and still serves its previous
 * version.
 *
 * @param desired what the Plugin asks for
 * @param readyPods Ready pods of the current revision
 * @param onDesired of those, pods that report the desired jar
 * @param waiting pods not on it yet (no report yet, or swapping)
 * @param failures pod name to why its swap failed
 * @param servingVersion the version to show for the revision (route table, status.versions): the
 *     desired one once the swap is complete, else the one the pods not swapped yet report
 */
public record HotSwapProgress(
    DesiredArtifact desired,
    int readyPods,
    int onDesired,
    List<String> waiting,
    Map<String, String> failures,
    String servingVersion) {

  /** The artifact a HotSwap Plugin's runtimes should run (see {@link PluginRevision#hotSwaps}). */
  public static DesiredArtifact desired(Plugin plugin) {
    JarArtifact jar = plugin.getSpec().getArtifact().getJar();
    Long generation = plugin.getMetadata().getGeneration();
    return new DesiredArtifact(
        plugin.getMetadata().getName(),
        plugin.getSpec().getVersion(),
        jar.getUrl(),
        jar.getSha256(),
        generation == null ? 0 : generation);
  }

  /**
   * @param pods the plug-in's pods
   * @param reports the last telemetry report of each fresh instance, by pod name
   */
  public static HotSwapProgress of(
      Plugin plugin, String revision, List<Pod> pods, Map<String, TelemetryReport> reports) {
    DesiredArtifact desired = desired(plugin);
    int ready = 0;
    int on = 0;
    List<String> waiting = new ArrayList<>();
    Map<String, String> failures = new TreeMap<>();
    String previous = null;
    for (Pod pod : pods) {
      if (!revision.equals(PodState.revision(pod))
          || !PodState.isReady(pod)
          || PodState.isTerminating(pod)) {
        continue;
      }
      ready++;
      String name = pod.getMetadata().getName();
      TelemetryReport report = reports.get(name);
      String runs = report != null && report.sha256() != null ? report.sha256() : startedWith(pod);
      if (desired.sha256().equals(runs)) {
        on++;
        continue;
      }
      if (report != null && report.swapError() != null) {
        failures.put(name, report.swapError());
      } else {
        waiting.add(name);
      }
      if (previous == null) {
        previous = report != null && report.version() != null ? report.version() : label(pod);
      }
    }
    boolean complete = ready > 0 && on == ready;
    String serving = complete || previous == null ? desired.version() : previous;
    return new HotSwapProgress(
        desired, ready, on, List.copyOf(waiting), Map.copyOf(failures), serving);
  }

  /** The SHA-256 of the jar the pod was started with, from its runtime container's env. */
  static String startedWith(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    for (Container c : pod.getSpec().getContainers()) {
      if (c.getEnv() == null) {
        continue;
      }
      for (EnvVar e : c.getEnv()) {
        if (RuntimeContract.ENV_JAR_SHA256.equals(e.getName())) {
          return e.getValue();
        }
      }
    }
    return null;
  }

  private static String label(Pod pod) {
    return PodState.version(pod);
  }

  public boolean complete() {
    return readyPods > 0 && onDesired == readyPods;
  }

  public boolean failed() {
    return !failures.isEmpty();
  }

  /** For conditions: how far the swap is. */
  public String describe() {
    return "hot-swapping to version "
        + desired.version()
        + ": "
        + onDesired
        + " of "
        + readyPods
        + " Ready pods run it"
        + (waiting.isEmpty() ? "" : ", waiting for " + String.join(", ", waiting));
  }

  /** For conditions and events: why the swap failed, per pod. */
  public String describeFailures() {
    List<String> parts = new ArrayList<>();
    failures.forEach((pod, why) -> parts.add(pod + ": " + why));
    return "hot swap to version "
        + desired.version()
        + " failed on "
        + failures.size()
        + " of "
        + readyPods
        + " Ready pods, which keep serving their version; "
        + String.join("; ", parts);
  }
}
