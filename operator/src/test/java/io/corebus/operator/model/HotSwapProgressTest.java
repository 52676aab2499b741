package io.corebus.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.testing.TestPods;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HotSwapProgressTest {
  static final String OLD = TestPlugins.SHA;
  static final String NEW = "e".repeat(64);

  static Plugin wantsNew() {
    Plugin p = TestPlugins.jarPlugin("ns", "pay");
    p.getSpec().setVersion("2.0.0");
    p.getSpec().setArtifact(Artifact.ofJar("https://x/pay-2.jar", NEW));
    p.getMetadata().setGeneration(5L);
    return p;
  }

  /** A Ready pod of revision r started with the jar {@code sha}. */
  static Pod startedWith(int ordinal, String sha) {
    Pod p = TestPods.pod("r", ordinal, true);
    p.setSpec(
        new io.fabric8.kubernetes.api.model.PodSpecBuilder()
            .addNewContainer()
            .withName("runtime")
            .withEnv(new EnvVar(RuntimeContract.ENV_JAR_SHA256, sha, null))
            .endContainer()
            .build());
    return p;
  }

  static TelemetryReport report(Pod pod, String version, String sha, String error) {
    return new TelemetryReport(
        "ns",
        "pay",
        version,
        "r",
        pod.getMetadata().getName(),
        1,
        1000,
        0,
        0,
        0,
        0,
        0,
        0,
        new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1],
        sha,
        error);
  }

  @Test
  void podsStartedWithTheWantedJarNeedNoTelemetry() {
    HotSwapProgress p =
        HotSwapProgress.of(
            wantsNew(), "r", List.of(startedWith(0, NEW), startedWith(1, NEW)), Map.of());

    assertThat(p.complete()).isTrue();
    assertThat(p.servingVersion()).isEqualTo("2.0.0");
    assertThat(p.desired().generation()).isEqualTo(5);
  }

  @Test
  void theOldVersionIsServedUntilEveryReadyPodReportsTheNewJar() {
    Pod a = startedWith(0, OLD);
    Pod b = startedWith(1, OLD);
    Pod notReady = TestPods.pod("r", 2, false);

    HotSwapProgress none = HotSwapProgress.of(wantsNew(), "r", List.of(a, b, notReady), Map.of());
    assertThat(none.complete()).isFalse();
    assertThat(none.readyPods()).isEqualTo(2);
    assertThat(none.servingVersion()).as("the pods' label").isEqualTo("v-r");

    HotSwapProgress half =
        HotSwapProgress.of(
            wantsNew(),
            "r",
            List.of(a, b),
            Map.of(
                a.getMetadata().getName(), report(a, "2.0.0", NEW, null),
                b.getMetadata().getName(), report(b, "1.0.0", OLD, null)));
    assertThat(half.onDesired()).isEqualTo(1);
    assertThat(half.servingVersion()).isEqualTo("1.0.0");
    assertThat(half.describe()).contains("1 of 2 Ready pods run it").contains("p-r-1");

    HotSwapProgress all =
        HotSwapProgress.of(
            wantsNew(),
            "r",
            List.of(a, b),
            Map.of(
                a.getMetadata().getName(), report(a, "2.0.0", NEW, null),
                b.getMetadata().getName(), report(b, "2.0.0", NEW, null)));
    assertThat(all.complete()).isTrue();
    assertThat(all.servingVersion()).isEqualTo("2.0.0");
  }

  @Test
  void aReportedSwapErrorIsAFailureNamingThePod() {
    Pod a = startedWith(0, OLD);
    HotSwapProgress p =
        HotSwapProgress.of(
            wantsNew(),
            "r",
            List.of(a),
            Map.of(
                a.getMetadata().getName(),
                report(a, "1.0.0", OLD, "ChecksumMismatch: has SHA-256 0a")));

    assertThat(p.failed()).isTrue();
    assertThat(p.complete()).isFalse();
    assertThat(p.describeFailures())
        .contains("p-r-0: ChecksumMismatch")
        .contains("keep serving their version");
  }
}
