package io.corebus.operator.status;

import static io.corebus.operator.testing.TestPods.crashLooping;
import static io.corebus.operator.testing.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.operator.autoscaling.Autoscaler;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.autoscaling.ScaleDecision;
import io.corebus.operator.model.PodSetPlan;
import io.corebus.operator.model.PodSetPlan.Phase;
import io.corebus.operator.model.ReplicaCount;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.validation.Problem;
import io.corebus.operator.validation.Validation;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginStatusAggregatorTest {
  private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
  private static final Instant T1 = Instant.parse("2024-01-01T00:05:00Z");
  private static final Validation VALID = new Validation(List.of(), List.of());

  private static Plugin plugin(int replicas) {
    Plugin p =
        TestPlugins.stored(TestPlugins.jarPlugin("ns", "pay"), "uid", "2024-01-01T00:00:00Z");
    TestPlugins.withReplicas(p, replicas, null, null);
    p.getMetadata().setGeneration(4L);
    return p;
  }

  private static PluginStatus status(
      Plugin p, Instant now, Validation v, List<Pod> pods, Phase phase) {
    return PluginStatusAggregator.of(p, now)
        .observe(
            v,
            ReplicaCount.of(p.getSpec()),
            "new",
            pods,
            new PodSetPlan(List.of(), List.of(), phase, List.of()))
        .build();
  }

  @Test
  void readyWhenEnoughPodsAreReadyWithAllThreeConditionsAndGeneration() {
    Plugin p = plugin(2);
    PluginStatus s =
        status(p, T0, VALID, List.of(pod("new", 0, true), pod("new", 1, true)), Phase.STABLE);
    assertThat(s.getObservedGeneration()).isEqualTo(4L);
    assertThat(s.getConditions())
        .extracting(Condition::getType)
        .containsExactly("Ready", "Progressing", "Degraded");
    assertThat(s.getConditions())
        .allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(4L));
    assertThat(s.condition("Ready").getStatus()).isEqualTo("True");
    assertThat(s.condition("Progressing").getReason()).isEqualTo("Complete");
    assertThat(s.condition("Degraded").getStatus()).isEqualTo("False");
    assertThat(s.getReplicas()).isEqualTo(2);
    assertThat(s.getReadyReplicas()).isEqualTo(2);
    assertThat(s.getSelector())
        .isEqualTo("app.kubernetes.io/managed-by=corebus-operator,corebus.io/plugin=pay");
  }

  @Test
  void transitionTimeMovesOnlyWhenTheStatusFlips() {
    Plugin p = plugin(1);
    PluginStatus first = status(p, T0, VALID, List.of(pod("new", 0, false)), Phase.SCALING);
    p.setStatus(first);
    PluginStatus same = status(p, T1, VALID, List.of(pod("new", 0, false)), Phase.SCALING);
    assertThat(same).isEqualTo(first);

    p.setStatus(same);
    PluginStatus ready = status(p, T1, VALID, List.of(pod("new", 0, true)), Phase.STABLE);
    assertThat(ready.condition("Ready").getLastTransitionTime()).isEqualTo("2024-01-01T00:05:00Z");
    // Degraded stayed False: its time is the first one, although its message is recomputed.
    assertThat(ready.condition("Degraded").getLastTransitionTime())
        .isEqualTo("2024-01-01T00:00:00Z");
  }

  @Test
  void invalidPluginIsNotReadyBlockedAndDegradedKeepingItsPodsCounted() {
    Plugin p = plugin(1);
    Validation invalid =
        new Validation(
            List.of(new Problem(Problem.RESERVED_ENV_NAME, "spec.env[COREBUS_X] is reserved")),
            List.of());
    PluginStatus s = status(p, T0, invalid, List.of(pod("old", 0, true)), Phase.STABLE);
    assertThat(s.condition("Ready").getStatus()).isEqualTo("False");
    assertThat(s.condition("Ready").getReason()).isEqualTo(Problem.RESERVED_ENV_NAME);
    assertThat(s.condition("Ready").getMessage()).contains("COREBUS_X").contains("1 existing pod");
    assertThat(s.condition("Progressing").getReason()).isEqualTo("Blocked");
    assertThat(s.condition("Degraded").getStatus()).isEqualTo("True");
    assertThat(s.getReadyReplicas()).isEqualTo(1);
  }

  @Test
  void aPodWhoseJarFailsItsChecksumMakesThePluginNotReadyAndDegradedSayingWhy() {
    Plugin p = plugin(1);
    String termination =
        "ChecksumMismatch: the plug-in jar from http://jars/pay.jar has SHA-256 aaaa but the"
            + " Plugin expects bbbb; refusing to load it";
    PluginStatus first =
        status(p, T0, VALID, List.of(crashLooping("new", 0, termination, 1)), Phase.SCALING);
    Condition ready = first.condition("Ready");
    assertThat(ready.getStatus()).isEqualTo("False");
    assertThat(ready.getReason()).isEqualTo("ArtifactChecksumMismatch");
    assertThat(ready.getMessage())
        .startsWith("0/1 pods ready; pod p-new-0: ChecksumMismatch: the plug-in jar from")
        .contains("expects bbbb");
    Condition degraded = first.condition("Degraded");
    assertThat(degraded.getStatus()).isEqualTo("True");
    assertThat(degraded.getReason()).isEqualTo("ArtifactChecksumMismatch");
    assertThat(degraded.getMessage()).startsWith("pod p-new-0: ChecksumMismatch");

    // Each restart (the count goes up) gives the same status: no status write per restart.
    p.setStatus(first);
    PluginStatus later =
        status(p, T1, VALID, List.of(crashLooping("new", 0, termination, 5)), Phase.SCALING);
    assertThat(later).isEqualTo(first);

    // Fixed: the pod becomes Ready and the conditions say so.
    p.setStatus(later);
    PluginStatus fixed = status(p, T1, VALID, List.of(pod("new", 0, true)), Phase.STABLE);
    assertThat(fixed.condition("Ready").getReason()).isEqualTo("PodsReady");
    assertThat(fixed.condition("Degraded").getStatus()).isEqualTo("False");
  }

  @Test
  void aRolloutStuckOnAFailingPodIsDegradedWhileTheOldPodsKeepItReady() {
    Plugin p = plugin(1);
    PluginStatus s =
        status(
            p,
            T0,
            VALID,
            List.of(pod("old", 0, true), crashLooping("new", 1, "StartFailed: boom", 2)),
            Phase.ROLLING);
    assertThat(s.condition("Ready").getStatus()).isEqualTo("True");
    assertThat(s.condition("Degraded").getStatus()).isEqualTo("True");
    assertThat(s.condition("Degraded").getReason()).isEqualTo("PluginStartFailed");
    assertThat(s.condition("Degraded").getMessage()).isEqualTo("pod p-new-1: StartFailed: boom");
  }

  @Test
  void versionsSplitTheWeightByReadyPods() {
    Plugin p = plugin(3);
    PluginStatus s =
        status(
            p,
            T0,
            VALID,
            List.of(
                pod("new", 0, true),
                pod("old", 1, true),
                pod("old", 2, true),
                pod("new", 1, false)),
            Phase.ROLLING);
    assertThat(s.getVersions())
        .extracting(
            v ->
                v.getRevision()
                    + ":"
                    + v.getReplicas()
                    + "/"
                    + v.getReadyReplicas()
                    + "@"
                    + v.getWeight())
        .containsExactly("new:2/1@33", "old:2/2@67");
    assertThat(s.condition("Progressing").getReason()).isEqualTo("RollingUpdate");
  }

  @Test
  void unresolvedRequiresAreDegradedButReady() {
    Plugin p = plugin(1);
    Validation v = new Validation(List.of(), List.of("shop.Stock"));
    PluginStatus s = status(p, T0, v, List.of(pod("new", 0, true)), Phase.STABLE);
    assertThat(s.condition("Ready").getStatus()).isEqualTo("True");
    assertThat(s.condition("Ready").getMessage()).contains("shop.Stock");
    assertThat(s.condition("Degraded").getReason()).isEqualTo("UnresolvedRequires");
  }

  @Test
  void telemetryFieldsAreCarriedOver() {
    Plugin p = plugin(1);
    PluginStatus previous = new PluginStatus();
    previous.setQps(12.5);
    previous.setLag(3L);
    p.setStatus(previous);
    PluginStatus s = status(p, T0, VALID, List.of(pod("new", 0, true)), Phase.STABLE);
    assertThat(s.getQps()).isEqualTo(12.5);
    assertThat(s.getLag()).isEqualTo(3L);
  }

  private static PluginStatus scaled(Plugin p, Instant now, PluginScaler.Scaling scaling) {
    return PluginStatusAggregator.of(p, now)
        .autoscaling(scaling)
        .observe(
            VALID,
            ReplicaCount.of(p.getSpec()).withDesired(scaling.desired()),
            "new",
            List.of(pod("new", 0, true)),
            new PodSetPlan(List.of(), List.of(), Phase.SCALING, List.of()))
        .build();
  }

  @Test
  void theAutoscalersOutcomeIsAFourthConditionAndTheFigures() {
    Plugin p = plugin(1);
    PluginScaler.Scaling refusing =
        new PluginScaler.Scaling(
            3,
            new ScaleDecision.Verdict(false, Autoscaler.TELEMETRY_STALE, "only 1 of 3 ..."),
            new PluginScaler.StatusFigures(120.0, 4L, 25.0, 0.01),
            "2024-01-01T00:00:00Z",
            null);
    PluginStatus s = scaled(p, T0, refusing);
    assertThat(s.getConditions())
        .extracting(Condition::getType)
        .containsExactly("Ready", "Progressing", "Degraded", "Autoscaling");
    Condition autoscaling = s.condition("Autoscaling");
    assertThat(autoscaling.getStatus()).isEqualTo("False");
    assertThat(autoscaling.getReason()).isEqualTo("TelemetryStale");
    assertThat(autoscaling.getLastTransitionTime()).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(s.getDesiredReplicas()).isEqualTo(3);
    assertThat(s.getQps()).isEqualTo(120.0);
    assertThat(s.getLag()).isEqualTo(4L);
    assertThat(s.getP99LatencyMs()).isEqualTo(25.0);
    assertThat(s.getErrorRate()).isEqualTo(0.01);
    assertThat(s.getLastScaleTime()).isEqualTo("2024-01-01T00:00:00Z");
    assertThat(s.condition("Ready").getMessage()).contains("/3 pods ready");

    p.setStatus(s);
    PluginStatus back =
        scaled(
            p,
            T1,
            new PluginScaler.Scaling(
                3,
                new ScaleDecision.Verdict(true, Autoscaler.WITHIN_TARGET, "fine"),
                PluginScaler.StatusFigures.NONE,
                "2024-01-01T00:00:00Z",
                null));
    assertThat(back.condition("Autoscaling").getStatus()).isEqualTo("True");
    assertThat(back.condition("Autoscaling").getLastTransitionTime())
        .isEqualTo("2024-01-01T00:05:00Z");

    // Mode Off: no Autoscaling condition at all.
    p.setStatus(back);
    PluginStatus off =
        scaled(
            p, T1, new PluginScaler.Scaling(1, null, PluginScaler.StatusFigures.NONE, null, null));
    assertThat(off.condition("Autoscaling")).isNull();
  }
}
