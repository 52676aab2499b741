package io.corebus.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.Autoscaling;
import io.corebus.crds.AutoscalingMode;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.operator.bus.RequestBacklog;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.model.ReplicaCount;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.corebus.operator.testing.MovableClock;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.testing.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PluginScalerTest {
  final MovableClock clock = new MovableClock();
  final PluginTelemetry telemetry =
      new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), clock);
  final AtomicLong waiting = new AtomicLong();
  final RequestBacklog backlog = p -> Optional.of(new RequestBacklog.Backlog(waiting.get(), 12));
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final PluginScaler scaler =
      new PluginScaler(
          telemetry,
          backlog,
          new PluginMetrics(registry),
          Duration.ofSeconds(5),
          Duration.ofSeconds(15),
          clock);

  Plugin plugin(AutoscalingMode mode, int min, int max) {
    Plugin p = TestPlugins.stored(TestPlugins.jarPlugin("shop", "payment"), "uid-1", "x");
    TestPlugins.withReplicas(p, min, max, null);
    Autoscaling a = new Autoscaling();
    a.setMode(mode);
    a.setTargetQpsPerReplica(100);
    a.setTargetLagPerReplica(10);
    a.setScaleDownStabilizationSeconds(60);
    p.getSpec().setAutoscaling(a);
    return p;
  }

  /** {@code pods} Ready pods each handling {@code qps} for {@code seconds}. */
  void load(int pods, double qps, int seconds) {
    for (int s = 0; s < seconds; s++) {
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < pods; i++) {
        long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
        latency[3] = (long) qps;
        telemetry.record(
            new TelemetryReport(
                "shop",
                "payment",
                "1.0.0",
                "new",
                "payment-new-" + i,
                clock.millis(),
                1000,
                (long) qps,
                0,
                0,
                0,
                0,
                0,
                latency));
      }
    }
  }

  static List<Pod> ready(int n) {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(TestPods.pod("new", i, true));
    }
    return pods;
  }

  @Test
  void aConditionMessageThatOnlyRestatesMovingFiguresIsRewrittenAtMostOncePerInterval() {
    Plugin p = plugin(AutoscalingMode.Qps, 1, 10);
    load(2, 100, 30);
    String first = reconcile(p, 2).condition().message();
    assertThat(first).contains("200.0 qps");

    load(2, 90, 5); // same reason (WithinTarget, 2 pods), other figures, 5 s later
    assertThat(reconcile(p, 2).condition().message()).isEqualTo(first);

    load(2, 90, 10);
    assertThat(reconcile(p, 2).condition().message()).isNotEqualTo(first);
  }

  /** Evaluates and stores the outcome in status, as the reconciler does. */
  PluginScaler.Scaling reconcile(Plugin p, int pods) {
    PluginScaler.Scaling s = scaler.evaluate(p, ReplicaCount.of(p.getSpec()), ready(pods));
    PluginStatus status = p.getStatus() == null ? new PluginStatus() : p.getStatus();
    status.setDesiredReplicas(s.desired());
    status.setQps(s.figures().qps());
    status.setLag(s.figures().lag());
    status.setP99LatencyMs(s.figures().p99LatencyMs());
    status.setErrorRate(s.figures().errorRate());
    status.setLastScaleTime(s.lastScaleTime());
    status.setConditions(
        s.condition() == null
            ? new ArrayList<>()
            : new ArrayList<>(
                List.of(
                    new io.corebus.crds.Condition(
                        "Autoscaling",
                        s.condition().ok() ? "True" : "False",
                        s.condition().reason(),
                        s.condition().message()))));
    p.setStatus(status);
    return s;
  }

  @Test
  void scalesOnTheTelemetryAndRecordsWhenItScaled() {
    Plugin p = plugin(AutoscalingMode.Qps, 1, 10);
    load(1, 50, 10);
    assertThat(reconcile(p, 1).desired()).isEqualTo(1);
    assertThat(p.getStatus().getLastScaleTime()).isNull();

    load(1, 380, 30);
    PluginScaler.Scaling up = reconcile(p, 1);
    assertThat(up.desired()).isEqualTo(4);
    assertThat(up.recheckAfter()).isEqualTo(Duration.ofSeconds(5));
    assertThat(p.getStatus().getLastScaleTime()).isEqualTo(clock.instant().toString());
  }

  @Test
  void theCountInStatusSurvivesARestartedOperator() {
    Plugin p = plugin(AutoscalingMode.Qps, 1, 10);
    PluginStatus stored = new PluginStatus();
    stored.setDesiredReplicas(6);
    p.setStatus(stored);
    load(6, 10, 20); // 60 qps: 1 pod would do

    // A fresh scaler (the operator restarted) keeps 6 for a whole stabilization window.
    assertThat(reconcile(p, 6).desired()).isEqualTo(6);
    load(6, 10, 50);
    assertThat(reconcile(p, 6).desired()).isEqualTo(6);
    load(6, 10, 15);
    assertThat(reconcile(p, 6).desired()).isEqualTo(1);
  }

  @Test
  void statusFiguresAreRoundedAndWrittenAtMostOncePerInterval() {
    Plugin p = plugin(AutoscalingMode.Off, 1, 1);
    load(1, 123, 30);
    PluginScaler.Scaling first = reconcile(p, 1);
    assertThat(first.figures().qps()).isEqualTo(123.0);
    assertThat(first.figures().p99LatencyMs()).isEqualTo(10.0);
    assertThat(first.figures().errorRate()).isEqualTo(0.0);
    assertThat(first.recheckAfter()).as("figures refresh").isEqualTo(Duration.ofSeconds(15));

    load(1, 200, 5); // the rate moves, but the last write was 5 s ago
    assertThat(reconcile(p, 1).figures().qps()).isEqualTo(123.0);

    load(1, 200, 10);
    assertThat(reconcile(p, 1).figures().qps()).isGreaterThan(123.0);
  }

  @Test
  void aPlugInWithoutAutoscalingLooksAgainUntilItsFirstTelemetryReachesStatus() {
    Plugin p = plugin(AutoscalingMode.Off, 1, 1);
    PluginScaler.Scaling justReady = reconcile(p, 1);
    assertThat(justReady.figures().qps()).as("no report yet").isNull();
    assertThat(justReady.recheckAfter()).isEqualTo(Duration.ofSeconds(15));

    load(1, 40, 15);
    assertThat(reconcile(p, 1).figures().qps()).isEqualTo(40.0);
  }

  @Test
  void aPlugInAtZeroWakesUpWhenRequestsWaitOnItsTopic() {
    Plugin p = plugin(AutoscalingMode.Qps, 0, 5);
    PluginStatus stored = new PluginStatus();
    stored.setDesiredReplicas(0);
    p.setStatus(stored);
    assertThat(reconcile(p, 0).desired()).isZero();
    assertThat(reconcile(p, 0).condition().reason()).isEqualTo(Autoscaler.SCALED_TO_ZERO);

    waiting.set(3);
    clock.advance(Duration.ofSeconds(15));
    PluginScaler.Scaling wake = reconcile(p, 0);
    assertThat(wake.desired()).isEqualTo(1);
    assertThat(p.getStatus().getLag()).isEqualTo(3L);
  }

  @Test
  void exportsTheFiguresAsPrometheusGaugesAndRemovesThemWithThePlugIn() {
    Plugin p = plugin(AutoscalingMode.Qps, 1, 10);
    load(2, 100, 30);
    waiting.set(7);
    reconcile(p, 2);

    assertThat(
            registry
                .get("corebus.plugin.qps")
                .tag("namespace", "shop")
                .tag("plugin", "payment")
                .tag("version", "1.0.0")
                .gauge()
                .value())
        .isEqualTo(200.0);
    assertThat(registry.get("corebus.plugin.p99.latency.seconds").gauge().value()).isEqualTo(0.01);
    assertThat(registry.get("corebus.plugin.error.ratio").gauge().value()).isZero();
    assertThat(registry.get("corebus.plugin.lag").tag("plugin", "payment").gauge().value())
        .isEqualTo(7.0);
    assertThat(registry.get("corebus.plugin.replicas.desired").gauge().value()).isEqualTo(2.0);
    assertThat(registry.get("corebus.plugin.replicas.ready").gauge().value()).isEqualTo(2.0);

    scaler.forget(p);
    assertThat(registry.find("corebus.plugin.qps").gauges()).isEmpty();
    assertThat(registry.find("corebus.plugin.replicas.desired").gauges()).isEmpty();
  }
}
