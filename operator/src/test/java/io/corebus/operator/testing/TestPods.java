package io.corebus.operator.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** Pods as the planner sees them, for unit tests. */
public final class TestPods {
  private TestPods() {}

  public static Pod pod(String revision, int ordinal, boolean ready) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p-" + revision + "-" + ordinal)
        .withUid(revision + "-" + ordinal + "-uid")
        .addToLabels("corebus.io/revision", revision)
        .addToLabels("corebus.io/ordinal", Integer.toString(ordinal))
        .addToLabels("app.kubernetes.io/version", "v-" + revision)
        .endMetadata()
        .withNewStatus()
        .withPhase(ready ? "Running" : "Pending")
        .addNewCondition()
        .withType("Ready")
        .withStatus(ready ? "True" : "False")
        .endCondition()
        .endStatus()
        .build();
  }

  public static Pod failed(String revision, int ordinal) {
    Pod p = pod(revision, ordinal, false);
    p.getStatus().setPhase("Failed");
    return p;
  }

  /**
   * A pod whose runtime container exited with {@code message} as its termination message and now
   * waits in CrashLoopBackOff, as the kubelet shows it after {@code restarts} restarts.
   */
  public static Pod crashLooping(String revision, int ordinal, String message, int restarts) {
    Pod p = pod(revision, ordinal, false);
    p.getStatus().setPhase("Running");
    p.getStatus()
        .setContainerStatuses(
            java.util.List.of(
                new io.fabric8.kubernetes.api.model.ContainerStatusBuilder()
                    .withName("plugin-runtime")
                    .withReady(false)
                    .withRestartCount(restarts)
                    .withNewState()
                    .withNewWaiting()
                    .withReason("CrashLoopBackOff")
                    .withMessage("back-off 10s restarting failed container")
                    .endWaiting()
                    .endState()
                    .withNewLastState()
                    .withNewTerminated()
                    .withExitCode(1)
                    .withReason("Error")
                    .withMessage(message)
                    .endTerminated()
                    .endLastState()
                    .build()));
    return p;
  }

  public static Pod terminating(String revision, int ordinal) {
    Pod p = pod(revision, ordinal, true);
    p.getMetadata().setDeletionTimestamp("2024-01-01T00:00:00Z");
    return p;
  }
}
