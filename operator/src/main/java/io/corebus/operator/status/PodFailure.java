package io.corebus.operator.status;

import io.corebus.crds.RuntimeContract;
import io.corebus.operator.model.PodState;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Why a plug-in's pod keeps failing, read from its runtime container's status: the runtime's
 * termination message ({@link RuntimeContract#terminationMessage}) that the kubelet copied into
 * {@code state.terminated} or {@code lastState.terminated}, a CrashLoopBackOff, or an image that
 * cannot be pulled. The runtime's reason becomes one of a small set of condition reasons.
 *
 * @param reason one of {@link #REASONS}
 * @param pod the failing pod's name
 * @param message the pod and the runtime's reason and text, shortened, for people
 */
public record PodFailure(String reason, String pod, String message) {

  /** The jar's SHA-256 is not the one in spec.artifact.jar.sha256 (or that one is malformed). */
  public static final String ARTIFACT_CHECKSUM_MISMATCH = "ArtifactChecksumMismatch";

  /** The jar cannot be fetched (URL unreachable, HTTP error, unsupported scheme), or the image. */
  public static final String ARTIFACT_UNAVAILABLE = "ArtifactUnavailable";

  /** The artifact holds no usable Plugin implementation (none, several, or it cannot be built). */
  public static final String ARTIFACT_INVALID = "ArtifactInvalid";

  /** The plug-in's start() threw, or a provided service has no implementation. */
  public static final String PLUGIN_START_FAILED = "PluginStartFailed";

  /** The runtime container keeps exiting for a reason the runtime did not name (OOM, JVM...). */
  public static final String POD_CRASH_LOOPING = "PodCrashLooping";

  public static final Set<String> REASONS =
      Set.of(
          ARTIFACT_CHECKSUM_MISMATCH,
          ARTIFACT_UNAVAILABLE,
          ARTIFACT_INVALID,
          PLUGIN_START_FAILED,
          POD_CRASH_LOOPING);

  /** How much of the runtime's text a condition message carries. */
  static final int MAX_TEXT = 300;

  private static final Map<String, String> BY_RUNTIME_REASON =
      Map.ofEntries(
          Map.entry(RuntimeContract.FAILURE_CHECKSUM_MISMATCH, ARTIFACT_CHECKSUM_MISMATCH),
          Map.entry(RuntimeContract.FAILURE_INVALID_CHECKSUM, ARTIFACT_CHECKSUM_MISMATCH),
          Map.entry(RuntimeContract.FAILURE_DOWNLOAD_FAILED, ARTIFACT_UNAVAILABLE),
          Map.entry(RuntimeContract.FAILURE_UNSUPPORTED_URL, ARTIFACT_UNAVAILABLE),
          Map.entry(RuntimeContract.FAILURE_NO_PLUGIN_JAR, ARTIFACT_INVALID),
          Map.entry(RuntimeContract.FAILURE_NO_PLUGIN, ARTIFACT_INVALID),
          Map.entry(RuntimeContract.FAILURE_AMBIGUOUS_PLUGIN, ARTIFACT_INVALID),
          Map.entry(RuntimeContract.FAILURE_PLUGIN_INSTANTIATION_FAILED, ARTIFACT_INVALID),
          Map.entry(RuntimeContract.FAILURE_START_FAILED, PLUGIN_START_FAILED),
          Map.entry(RuntimeContract.FAILURE_SERVICE_NOT_IMPLEMENTED, PLUGIN_START_FAILED),
          Map.entry(RuntimeContract.FAILURE_INVALID_ALLOWED_CALLERS, PLUGIN_START_FAILED),
          Map.entry(RuntimeContract.FAILURE_INVALID_REQUEST_TOPICS, PLUGIN_START_FAILED));

  private static final Set<String> IMAGE_PROBLEMS =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

  /**
   * The first failing pod by name (so the answer does not change from one reconcile to the next),
   * with the number of others failing too; empty when none fails. Ready and terminating pods are
   * not failing.
   */
  public static Optional<PodFailure> first(List<Pod> pods) {
    List<PodFailure> failures =
        pods.stream()
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .map(PodFailure::of)
            .flatMap(Optional::stream)
            .toList();
    if (failures.isEmpty()) {
      return Optional.empty();
    }
    PodFailure f = failures.get(0);
    if (failures.size() == 1) {
      return Optional.of(f);
    }
    return Optional.of(
        new PodFailure(
            f.reason(),
            f.pod(),
            f.message() + " (and " + (failures.size() - 1) + " more pod(s) failing)"));
  }

  /** Why this pod's runtime container fails, if it does. */
  public static Optional<PodFailure> of(Pod pod) {
    if (PodState.isTerminating(pod) || PodState.isReady(pod) || pod.getStatus() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = pod.getStatus().getContainerStatuses();
    if (statuses == null) {
      return Optional.empty();
    }
    String name = pod.getMetadata().getName();
    for (ContainerStatus c : statuses) {
      if (!RuntimeContract.CONTAINER_NAME.equals(c.getName())) {
        continue;
      }
      ContainerState state = c.getState();
      String waiting =
          state == null || state.getWaiting() == null ? null : state.getWaiting().getReason();
      if (waiting != null && IMAGE_PROBLEMS.contains(waiting)) {
        return Optional.of(
            new PodFailure(
                ARTIFACT_UNAVAILABLE,
                name,
                "pod " + name + ": " + waiting + ": " + shorten(state.getWaiting().getMessage())));
      }
      // The current run's end, or the previous run's while the kubelet backs off.
      ContainerStateTerminated ended =
          state != null && failed(state.getTerminated())
              ? state.getTerminated()
              : c.getLastState() != null && failed(c.getLastState().getTerminated())
                  ? c.getLastState().getTerminated()
                  : null;
      boolean backingOff = "CrashLoopBackOff".equals(waiting);
      if (ended == null && !backingOff) {
        // Running (perhaps not Ready yet), or starting for the first time.
        continue;
      }
      if (ended != null && state != null && state.getRunning() != null && !backingOff) {
        // Restarted and running again: it may well come up this time; the probes will tell.
        if (!isRuntimeFailure(ended.getMessage())) {
          continue;
        }
      }
      String message = ended == null ? null : ended.getMessage();
      String runtimeReason = RuntimeContract.terminationReason(message);
      String reason =
          runtimeReason == null
              ? POD_CRASH_LOOPING
              : BY_RUNTIME_REASON.getOrDefault(runtimeReason, POD_CRASH_LOOPING);
      StringBuilder text = new StringBuilder("pod ").append(name).append(": ");
      if (runtimeReason != null) {
        text.append(runtimeReason)
            .append(RuntimeContract.TERMINATION_SEPARATOR)
            .append(shorten(RuntimeContract.terminationText(message)));
      } else if (message != null && !message.isBlank()) {
        text.append("the runtime exited with ")
            .append(ended.getExitCode())
            .append(": ")
            .append(shorten(message));
      } else if (ended != null) {
        text.append("the runtime exited with ")
            .append(ended.getExitCode())
            .append(ended.getReason() == null ? "" : " (" + ended.getReason() + ")");
      } else {
        text.append("the runtime keeps exiting (CrashLoopBackOff)");
      }
      return Optional.of(new PodFailure(reason, name, text.toString()));
    }
    return Optional.empty();
  }

  private static boolean failed(ContainerStateTerminated t) {
    return t != null && t.getExitCode() != null && t.getExitCode() != 0;
  }

  /** A failure the runtime named: it will happen again on every restart. */
  private static boolean isRuntimeFailure(String message) {
    String r = RuntimeContract.terminationReason(message);
    return r != null && BY_RUNTIME_REASON.containsKey(r);
  }

  /** One line, at most {@link #MAX_TEXT} characters. */
  static String shorten(String text) {
    if (text == null) {
      return "";
    }
    String line = text.strip().replaceAll("\\s+", " ");
    return line.length() <= MAX_TEXT ? line : line.substring(0, MAX_TEXT - 3) + "...";
  }
}
