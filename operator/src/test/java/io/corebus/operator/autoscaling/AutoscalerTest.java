package io.corebus.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.AutoscalingMode;
import io.corebus.operator.telemetry.PluginStats;
import io.corebus.operator.telemetry.PluginStats.Figures;
import io.corebus.operator.telemetry.PluginStats.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class AutoscalerTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration STALE = Duration.ofSeconds(10);

  /** A plug-in as the autoscaler sees it; each test changes what it needs. */
  static final class Scene {
    AutoscalingMode mode = AutoscalingMode.Qps;
    int min = 1;
    int max = 10;
    Integer requested;
    Integer targetQps = 100;
    Integer targetLag = 50;
    Duration stabilization = Duration.ofSeconds(300);
    int current = 1;
    int ready = 1;
    int reporting = 1;
    double qps;
    long runtimeLag;
    long inFlight;
    long events;
    boolean telemetry = true;
    Duration reportAge = Duration.ofSeconds(1);
    OptionalLong waiting = OptionalLong.of(0);
    OptionalInt partitions = OptionalInt.of(12);
    Instant now = T0;
    ScaleHistory history = new ScaleHistory(T0.minus(Duration.ofHours(1)));

    ScaleDecision decide() {
      ScaleDecision d = Autoscaler.decide(request(), history);
      current = d.desired();
      return d;
    }

    ScaleRequest request() {
      Optional<PluginStats> stats = Optional.empty();
      if (telemetry) {
        Map<String, Instance> instances = new HashMap<>();
        Instant last = now.minus(reportAge);
        for (int i = 0; i < reporting; i++) {
          instances.put(
              "p-" + i,
              new Instance("1.0", "r", last, reportAge.compareTo(STALE) <= 0, runtimeLag, 0));
        }
        Figures f =
            new Figures(
                qps,
                0,
                OptionalDouble.of(5),
                runtimeLag,
                inFlight,
                (long) (qps * 30),
                0,
                30,
                reporting,
                events);
        stats =
            Optional.of(
                new PluginStats(
                    "shop", "payment", now, f, Map.of("1.0", f), Map.of("r1", f), instances, last));
      }
      return new ScaleRequest(
          mode,
          min,
          max,
          requested,
          targetQps,
          targetLag,
          stabilization,
          current,
          ready,
          stats,
          waiting,
          partitions,
          STALE,
          now);
    }

    /** Runs the autoscaler every {@code every} for {@code total}, pods Ready at once. */
    List<Integer> run(Duration total, Duration every) {
      List<Integer> counts = new ArrayList<>();
      for (Duration t = Duration.ZERO; t.compareTo(total) < 0; t = t.plus(every)) {
        now = now.plus(every);
        ready = current;
        reporting = current;
        counts.add(decide().desired());
      }
      return counts;
    }
  }

  @Test
  void qpsModeRunsCeilOfQpsOverTheTargetAndScalesUpAtOnce() {
    Scene s = new Scene();
    s.qps = 250;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(3);
    assertThat(d.condition().ok()).isTrue();
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.WITHIN_TARGET);
    assertThat(d.condition().message()).contains("250.0 qps").contains("3 pod(s)");

    s.qps = 300; // exactly 3 per target: not 4
    assertThat(s.decide().desired()).isEqualTo(3);
  }

  @Test
  void lagModeRunsCeilOfTheWaitingRequestsOverTheTargetLikeKeda() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.Lag;
    s.waiting = OptionalLong.of(120);
    assertThat(s.decide().desired()).isEqualTo(3);
  }

  @Test
  void lagModeFallsBackToTheLagTheRuntimesReportWhenKafkaCannotBeRead() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.Lag;
    s.waiting = OptionalLong.empty();
    s.runtimeLag = 220;
    assertThat(s.decide().desired()).isEqualTo(5);
  }

  @Test
  void qpsAndLagTakesTheLargerOfTheTwo() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.QpsAndLag;
    s.qps = 150; // 2
    s.waiting = OptionalLong.of(200); // 4
    assertThat(s.decide().desired()).isEqualTo(4);

    s.qps = 700; // 7
    assertThat(s.decide().desired()).isEqualTo(7);
  }

  @Test
  void offRunsReplicasDesiredOrMinWithinTheBounds() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.Off;
    s.qps = 10_000;
    assertThat(s.decide().desired()).isEqualTo(1);
    assertThat(s.decide().condition()).isNull();
    s.requested = 4;
    assertThat(s.decide().desired()).isEqualTo(4);
    s.requested = 40;
    assertThat(s.decide().desired()).isEqualTo(10);
  }

  @Test
  void externalLeavesTheCountToTheScaleSubresource() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.External;
    s.qps = 10_000;
    s.requested = 6;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(6);
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.EXTERNAL_SCALER);
    s.requested = 0;
    assertThat(s.decide().desired()).as("clamped to min").isEqualTo(1);
  }

  @Test
  void staysWithinMinAndMaxAndSaysWhenMaxLimitsIt() {
    Scene s = new Scene();
    s.min = 2;
    s.max = 5;
    s.qps = 50;
    s.current = 2;
    assertThat(s.decide().desired()).isEqualTo(2);

    s.qps = 2_000;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(5);
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.LIMITED_BY_MAX);
    assertThat(d.condition().message()).contains("ask for 20").contains("replicas.max 5");
  }

  @Test
  void isCappedByTheRequestTopicsPartitionsAndSaysSo() {
    Scene s = new Scene();
    s.max = 20;
    s.partitions = OptionalInt.of(6);
    s.qps = 1_000;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(6);
    assertThat(d.condition().ok()).isTrue();
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.LIMITED_BY_PARTITIONS);
    assertThat(d.condition().message()).contains("ask for 10").contains("6 partition(s)");
  }

  @Test
  void thePartitionCapNeverGoesBelowMin() {
    Scene s = new Scene();
    s.min = 4;
    s.current = 4;
    s.partitions = OptionalInt.of(3);
    s.qps = 900;
    assertThat(s.decide().desired()).isEqualTo(4);
  }

  @Test
  void scalesDownOnlyAfterTheStabilizationWindowToItsHighestRecommendation() {
    Scene s = new Scene();
    s.qps = 800;
    s.run(Duration.ofSeconds(60), Duration.ofSeconds(5));
    assertThat(s.current).isEqualTo(8);

    s.qps = 350; // asks for 4
    List<Integer> counts = s.run(Duration.ofSeconds(295), Duration.ofSeconds(5));
    assertThat(counts).as("inside the window").containsOnly(8);
    ScaleDecision holding = Autoscaler.decide(s.request(), s.history);
    assertThat(holding.condition().reason()).isEqualTo(Autoscaler.SCALE_DOWN_STABILIZING);
    assertThat(holding.condition().message()).contains("ask for 4").contains("keeping 8");

    counts = s.run(Duration.ofSeconds(15), Duration.ofSeconds(5));
    assertThat(counts).last().isEqualTo(4);
  }

  @Test
  void aSquareWaveFasterThanTheWindowDoesNotFlap() {
    Scene s = new Scene();
    List<Integer> counts = new ArrayList<>(List.of(s.current));
    // 40 minutes of 60 s high (400 qps) / 60 s low (100 qps), evaluated every 5 s.
    for (int period = 0; period < 20; period++) {
      s.qps = 400;
      counts.addAll(s.run(Duration.ofSeconds(60), Duration.ofSeconds(5)));
      s.qps = 100;
      counts.addAll(s.run(Duration.ofSeconds(60), Duration.ofSeconds(5)));
    }
    assertThat(changes(counts)).as("one scale-up, then steady").isEqualTo(1);
    assertThat(counts).last().isEqualTo(4);

    // The load really drops: one scale-down, after the window.
    counts = new ArrayList<>(List.of(s.current));
    counts.addAll(s.run(Duration.ofSeconds(400), Duration.ofSeconds(5)));
    assertThat(changes(counts)).isEqualTo(1);
    assertThat(counts).last().isEqualTo(1);
  }

  @Test
  void withoutAStabilizationWindowItFollowsTheLoadDownAtOnce() {
    Scene s = new Scene();
    s.stabilization = Duration.ZERO;
    s.qps = 400;
    assertThat(s.decide().desired()).isEqualTo(4);
    s.qps = 100;
    s.now = s.now.plusSeconds(5);
    assertThat(s.decide().desired()).isEqualTo(1);
  }

  @Test
  void refusesToScaleInWithoutTelemetryAndSaysWhy() {
    Scene s = new Scene();
    s.current = 4;
    s.ready = 4;
    s.telemetry = false;
    s.stabilization = Duration.ZERO;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(4);
    assertThat(d.condition().ok()).isFalse();
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.TELEMETRY_MISSING);
    assertThat(d.condition().message())
        .contains("no telemetry from the plug-in's 4 Ready pod(s)")
        .contains("no scale-in");
  }

  @Test
  void refusesToScaleInOnStaleTelemetry() {
    Scene s = new Scene();
    s.current = 4;
    s.ready = 4;
    s.reporting = 4;
    s.qps = 0;
    s.stabilization = Duration.ZERO;
    s.reportAge = Duration.ofSeconds(45);
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(4);
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.TELEMETRY_STALE);
    assertThat(d.condition().message()).contains("45 s old");
  }

  @Test
  void refusesToScaleInWhenSomeReadyPodsAreMissingFromTheTelemetry() {
    Scene s = new Scene();
    s.current = 4;
    s.ready = 4;
    s.reporting = 1;
    s.qps = 20; // the one reporting pod is nearly idle; the others are unknown
    s.stabilization = Duration.ZERO;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(4);
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.TELEMETRY_STALE);
    assertThat(d.condition().message()).contains("only 1 of 4 Ready pods");
  }

  @Test
  void stillScalesUpOnLagWhileTheTelemetryIsMissing() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.QpsAndLag;
    s.current = 2;
    s.ready = 2;
    s.telemetry = false;
    s.waiting = OptionalLong.of(300);
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(6);
    assertThat(d.condition().ok()).isFalse();
  }

  @Test
  void lagModeHoldsWhenTheLagIsUnknown() {
    Scene s = new Scene();
    s.mode = AutoscalingMode.Lag;
    s.current = 3;
    s.ready = 3;
    s.reporting = 3;
    s.stabilization = Duration.ZERO;
    s.waiting = OptionalLong.empty();
    s.runtimeLag = -1;
    ScaleDecision d = s.decide();
    assertThat(d.desired()).isEqualTo(3);
    assertThat(d.condition().reason()).isEqualTo(Autoscaler.LAG_UNKNOWN);
  }

  @Test
  void anIdlePlugInWithMinZeroScalesToZeroAfterTheWindowAndBackWhenARequestWaits() {
    Scene s = new Scene();
    s.min = 0;
    s.mode = AutoscalingMode.Qps;
    s.stabilization = Duration.ofSeconds(60);
    s.qps = 30;
    s.run(Duration.ofSeconds(30), Duration.ofSeconds(5));
    assertThat(s.current).isEqualTo(1);

    s.qps = 0;
    List<Integer> counts = s.run(Duration.ofSeconds(90), Duration.ofSeconds(5));
    assertThat(counts).startsWith(1, 1, 1).last().isEqualTo(0);
    ScaleDecision zero = Autoscaler.decide(s.request(), s.history);
    assertThat(zero.condition().reason()).isEqualTo(Autoscaler.SCALED_TO_ZERO);

    // No pod, so no telemetry: that is expected, not a problem.
    s.telemetry = false;
    s.ready = 0;
    s.now = s.now.plusSeconds(5);
    assertThat(s.decide().desired()).isZero();

    s.waiting = OptionalLong.of(1);
    s.now = s.now.plusSeconds(5);
    ScaleDecision back = s.decide();
    assertThat(back.desired()).isEqualTo(1);
    assertThat(back.condition().ok()).isTrue();
  }

  @Test
  void inLagModeScaleFromZeroFollowsTheWaitingRequests() {
    Scene s = new Scene();
    s.min = 0;
    s.current = 0;
    s.ready = 0;
    s.telemetry = false;
    s.mode = AutoscalingMode.Lag;
    s.waiting = OptionalLong.of(130);
    assertThat(s.decide().desired()).isEqualTo(3);
  }

  @Test
  void aPlugInWithWorkInFlightIsNotIdle() {
    Scene s = new Scene();
    s.min = 0;
    s.stabilization = Duration.ZERO;
    s.qps = 0;
    s.inFlight = 1;
    assertThat(s.decide().desired()).isEqualTo(1);
  }

  @Test
  void aSubscriberHandlingEventsIsNotIdle() {
    Scene s = new Scene();
    s.min = 0;
    s.stabilization = Duration.ZERO;
    s.qps = 0;
    s.events = 40;
    assertThat(s.decide().desired()).isEqualTo(1);
  }

  @Test
  void aRestartedOperatorDoesNotScaleInBeforeAWholeWindowWasWatched() {
    Scene s = new Scene();
    s.current = 8; // from status.desiredReplicas
    s.ready = 8;
    s.reporting = 8;
    s.qps = 100;
    s.history = new ScaleHistory(T0); // the operator started now
    List<Integer> counts = s.run(Duration.ofSeconds(295), Duration.ofSeconds(5));
    assertThat(counts).containsOnly(8);
    counts = s.run(Duration.ofSeconds(10), Duration.ofSeconds(5));
    assertThat(counts).last().isEqualTo(1);
  }

  @Test
  void aLoweredMaxOrRaisedMinAppliesAtOnce() {
    Scene s = new Scene();
    s.qps = 800;
    s.decide();
    s.max = 3;
    assertThat(s.decide().desired()).isEqualTo(3);
    s.qps = 0;
    s.min = 5;
    s.max = 10;
    assertThat(s.decide().desired()).isEqualTo(5);
  }

  private static int changes(List<Integer> counts) {
    int n = 0;
    for (int i = 1; i < counts.size(); i++) {
      if (!counts.get(i).equals(counts.get(i - 1))) {
        n++;
      }
    }
    return n;
  }
}
