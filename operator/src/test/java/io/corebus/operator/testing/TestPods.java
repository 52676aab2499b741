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

  public static Pod terminating(String revision, int ordinal) {
    Pod p = pod(revision, ordinal, true);
    p.getMetadata().setDeletionTimestamp("2024-01-01T00:00:00Z");
    return p;
  }
}
