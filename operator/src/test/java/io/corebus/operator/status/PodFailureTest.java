package io.corebus.operator.status;

import static io.corebus.operator.testing.TestPods.crashLooping;
import static io.corebus.operator.testing.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodFailureTest {

  private static String runtime(String reason, String text) {
    return RuntimeContract.terminationMessage(reason, text);
  }

  @Test
  void eachRuntimeReasonBecomesOneOfTheDocumentedConditionReasons() {
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_CHECKSUM_MISMATCH, "sha")))
        .isEqualTo(PodFailure.ARTIFACT_CHECKSUM_MISMATCH);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_INVALID_CHECKSUM, "sha")))
        .isEqualTo(PodFailure.ARTIFACT_CHECKSUM_MISMATCH);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_DOWNLOAD_FAILED, "404")))
        .isEqualTo(PodFailure.ARTIFACT_UNAVAILABLE);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_UNSUPPORTED_URL, "ftp:")))
        .isEqualTo(PodFailure.ARTIFACT_UNAVAILABLE);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_NO_PLUGIN, "none")))
        .isEqualTo(PodFailure.ARTIFACT_INVALID);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_START_FAILED, "boom")))
        .isEqualTo(PodFailure.PLUGIN_START_FAILED);
    assertThat(reasonOf(runtime(RuntimeContract.FAILURE_SERVICE_NOT_IMPLEMENTED, "x")))
        .isEqualTo(PodFailure.PLUGIN_START_FAILED);
    // Not the runtime's words: an unknown reason, a JVM crash, nothing at all.
    assertThat(reasonOf("SomethingNew: text")).isEqualTo(PodFailure.POD_CRASH_LOOPING);
    assertThat(reasonOf("Error: Could not create the Java Virtual Machine."))
        .isEqualTo(PodFailure.POD_CRASH_LOOPING);
    assertThat(reasonOf("java.lang.OutOfMemoryError: Java heap space"))
        .isEqualTo(PodFailure.POD_CRASH_LOOPING);
    assertThat(reasonOf(null)).isEqualTo(PodFailure.POD_CRASH_LOOPING);
    assertThat(PodFailure.REASONS)
        .containsExactlyInAnyOrder(
            "ArtifactChecksumMismatch",
            "ArtifactUnavailable",
            "ArtifactInvalid",
            "PluginStartFailed",
            "PodCrashLooping");
  }

  private static String reasonOf(String message) {
    return PodFailure.of(crashLooping("r", 0, message, 2)).orElseThrow().reason();
  }

  @Test
  void theMessageNamesThePodAndTheRuntimesReasonOnOneShortLine() {
    String longText = "the plug-in jar from http://x/a.jar has SHA-256 abc\n" + "x".repeat(2000);
    PodFailure f =
        PodFailure.of(
                crashLooping(
                    "r", 0, runtime(RuntimeContract.FAILURE_CHECKSUM_MISMATCH, longText), 3))
            .orElseThrow();
    assertThat(f.pod()).isEqualTo("p-r-0");
    assertThat(f.message())
        .startsWith("pod p-r-0: ChecksumMismatch: the plug-in jar from http://x/a.jar has SHA-256")
        .doesNotContain("\n")
        .endsWith("...")
        .hasSizeLessThan(PodFailure.MAX_TEXT + 40);
  }

  @Test
  void readyStartingAndTerminatingPodsAreNotFailing() {
    Pod ready = crashLooping("r", 0, runtime("ChecksumMismatch", "x"), 1);
    ready.getStatus().getConditions().get(0).setStatus("True");
    Pod terminating = crashLooping("r", 1, runtime("ChecksumMismatch", "x"), 1);
    terminating.getMetadata().setDeletionTimestamp("2024-01-01T00:00:00Z");
    Pod starting = pod("r", 2, false);
    assertThat(PodFailure.first(List.of(ready, terminating, starting))).isEmpty();
  }

  @Test
  void aPodRunningAgainAfterACrashTheRuntimeDidNotNameIsGivenItsChance() {
    Pod oomOnce = crashLooping("r", 0, "OOMKilled", 1);
    oomOnce
        .getStatus()
        .getContainerStatuses()
        .get(0)
        .setState(new ContainerStateBuilder().withNewRunning().endRunning().build());
    assertThat(PodFailure.of(oomOnce)).isEmpty();

    // The runtime's own reasons repeat on every restart: still failing while it runs again.
    Pod checksum = crashLooping("r", 1, runtime("ChecksumMismatch", "x"), 4);
    checksum
        .getStatus()
        .getContainerStatuses()
        .get(0)
        .setState(new ContainerStateBuilder().withNewRunning().endRunning().build());
    assertThat(PodFailure.of(checksum))
        .map(PodFailure::reason)
        .contains("ArtifactChecksumMismatch");
  }

  @Test
  void anImageThatCannotBePulledIsAnUnavailableArtifact() {
    Pod p = pod("r", 0, false);
    p.getStatus()
        .setContainerStatuses(
            List.of(
                new ContainerStatusBuilder()
                    .withName(RuntimeContract.CONTAINER_NAME)
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ImagePullBackOff")
                    .withMessage("Back-off pulling image \"reg/pay:9\"")
                    .endWaiting()
                    .endState()
                    .build()));
    assertThat(PodFailure.of(p))
        .hasValueSatisfying(
            f -> {
              assertThat(f.reason()).isEqualTo("ArtifactUnavailable");
              assertThat(f.message()).contains("ImagePullBackOff").contains("reg/pay:9");
            });
  }

  @Test
  void severalFailingPodsNameTheFirstByNameAndCountTheOthers() {
    List<Pod> pods =
        List.of(
            crashLooping("r", 1, runtime("StartFailed", "b"), 1),
            crashLooping("r", 0, runtime("ChecksumMismatch", "a"), 1));
    PodFailure f = PodFailure.first(pods).orElseThrow();
    assertThat(f.pod()).isEqualTo("p-r-0");
    assertThat(f.reason()).isEqualTo("ArtifactChecksumMismatch");
    assertThat(f.message()).endsWith("(and 1 more pod(s) failing)");
  }
}
