package io.corebus.operator.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.operator.testing.MovableClock;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PluginTelemetryTest {
  private final MovableClock clock = new MovableClock();
  private final PluginTelemetry telemetry =
      new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), clock);

  /** One second of an instance: {@code requests} calls of about {@code millis} ms each. */
  private TelemetryReport report(
      String instance, String version, long requests, long errors, long millis, long lag) {
    long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
    latency[TelemetryReport.bucketOf(millis)] = requests;
    return new TelemetryReport(
        "shop",
        "payment",
        version,
        "rev-" + version,
        instance,
        clock.millis(),
        1000,
        requests,
        errors,
        2,
        lag,
        0,
        0,
        latency);
  }

  /** Every instance reports once a second for {@code seconds} seconds. */
  private void run(int seconds, TelemetryReport... perSecond) {
    for (int s = 0; s < seconds; s++) {
      clock.advance(Duration.ofSeconds(1));
      for (TelemetryReport r : perSecond) {
        telemetry.record(
            new TelemetryReport(
                r.namespace(),
                r.plugin(),
                r.version(),
                r.revision(),
                r.instance(),
                clock.millis(),
                r.windowMillis(),
                r.requests(),
                r.errors(),
                r.inFlight(),
                r.lag(),
                r.events(),
                r.deadLetters(),
                Arrays.copyOf(r.latencyCounts(), r.latencyCounts().length)));
      }
    }
  }

  @Test
  void addsUpTheReplicasOfAPlugInIntoOneRate() {
    run(40, report("payment-a-0", "1.0", 50, 0, 4, 3), report("payment-a-1", "1.0", 30, 0, 4, 1));

    PluginStats stats = telemetry.plugin("shop", "payment").orElseThrow();
    assertThat(stats.total().qps()).isCloseTo(80, within(0.01));
    assertThat(stats.total().lag()).isEqualTo(4);
    assertThat(stats.total().inFlight()).isEqualTo(4);
    assertThat(stats.total().instances()).isEqualTo(2);
    assertThat(stats.total().p99Millis()).hasValue(5);
    assertThat(stats.freshInstances()).isEqualTo(2);
    assertThat(telemetry.plugin("shop", "inventory")).isEmpty();
  }

  @Test
  void aPlugInThatJustStartedIsNotDilutedOverTheWholeWindow() {
    run(5, report("payment-a-0", "1.0", 100, 0, 4, 0));

    assertThat(telemetry.plugin("shop", "payment").orElseThrow().total().qps())
        .isCloseTo(100, within(0.01));
  }

  @Test
  void keepsEachVersionApartForCanaryAnalysis() {
    run(30, report("payment-a-0", "1.0", 90, 0, 4, 0), report("payment-b-0", "2.0", 10, 2, 300, 0));

    PluginStats stats = telemetry.plugin("shop", "payment").orElseThrow();
    assertThat(stats.versions()).containsOnlyKeys("1.0", "2.0");
    assertThat(stats.versions().get("1.0").errorRate()).isZero();
    assertThat(stats.versions().get("1.0").p99Millis()).hasValue(5);
    assertThat(stats.versions().get("2.0").qps()).isCloseTo(10, within(0.01));
    assertThat(stats.versions().get("2.0").errorRate()).isCloseTo(0.2, within(1e-9));
    assertThat(stats.versions().get("2.0").p99Millis()).hasValue(500);
    assertThat(stats.total().errorRate()).isCloseTo(0.02, within(1e-9));
    assertThat(stats.total().p99Millis()).hasValue(500);
    assertThat(stats.instances().get("payment-b-0").version()).isEqualTo("2.0");
    assertThat(stats.instances().get("payment-b-0").revision()).isEqualTo("rev-2.0");
    assertThat(stats.instances().get("payment-a-0").lastReport()).isEqualTo(clock.instant());
  }

  @Test
  void keepsEachRevisionApartEvenWhenTheyReportTheSameVersion() {
    TelemetryReport stable = report("payment-a-0", "1.0", 90, 0, 4, 0);
    TelemetryReport canary = report("payment-b-0", "1.0", 10, 5, 4, 0);
    run(
        30,
        stable,
        new TelemetryReport(
            "shop",
            "payment",
            "1.0",
            "rev-b",
            canary.instance(),
            canary.timeMillis(),
            canary.windowMillis(),
            canary.requests(),
            canary.errors(),
            canary.inFlight(),
            canary.lag(),
            canary.events(),
            canary.deadLetters(),
            canary.latencyCounts()));

    PluginStats stats = telemetry.plugin("shop", "payment").orElseThrow();
    assertThat(stats.versions()).containsOnlyKeys("1.0");
    assertThat(stats.revisions()).containsOnlyKeys("rev-1.0", "rev-b");
    assertThat(stats.revisions().get("rev-1.0").errorRate()).isZero();
    assertThat(stats.revisions().get("rev-b").errorRate()).isCloseTo(0.5, within(1e-9));
    assertThat(stats.revisions().get("rev-b").qps()).isCloseTo(10, within(0.01));
  }

  @Test
  void theRateFollowsALoadStepWithinTheWindow() {
    run(30, report("payment-a-0", "1.0", 10, 0, 4, 0));
    run(30, report("payment-a-0", "1.0", 40, 0, 4, 0));

    // The old second-long windows have slid out: only the new rate is left.
    assertThat(telemetry.plugin("shop", "payment").orElseThrow().total().qps())
        .isCloseTo(40, within(0.01));
  }

  @Test
  void anInstanceThatStoppedReportingGoesStaleThenIsForgotten() {
    run(20, report("payment-a-0", "1.0", 10, 0, 4, 7));

    clock.advance(Duration.ofSeconds(11));
    PluginStats stale = telemetry.plugin("shop", "payment").orElseThrow();
    assertThat(stale.freshInstances()).isZero();
    assertThat(stale.instances().get("payment-a-0").fresh()).isFalse();
    assertThat(stale.total().lag()).as("nobody fresh knows the lag").isEqualTo(-1);
    // Its requests still happened within the window.
    assertThat(stale.total().requests()).isPositive();

    clock.advance(Duration.ofMinutes(6));
    assertThat(telemetry.plugin("shop", "payment")).isEmpty();
  }

  @Test
  void anIdlePlugInHasNoRateNoLatencyAndCountsAsIdle() {
    run(30, report("payment-a-0", "1.0", 0, 0, 4, 0));

    PluginStats.Figures total = telemetry.plugin("shop", "payment").orElseThrow().total();
    assertThat(total.qps()).isZero();
    assertThat(total.p99Millis()).isEmpty();
    assertThat(total.errorRate()).isZero();
  }

  @Test
  void aDuplicateOrOlderReportIsIgnored() {
    run(10, report("payment-a-0", "1.0", 10, 0, 4, 0));
    TelemetryReport again = report("payment-a-0", "1.0", 1000, 0, 4, 0);
    telemetry.record(again);
    telemetry.record(again);

    assertThat(telemetry.plugin("shop", "payment").orElseThrow().total().requests()).isEqualTo(100);
  }

  @Test
  void aReportWithoutNamespaceIsRejectedAndChangesNothing() {
    long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
    telemetry.record(
        new TelemetryReport(
            null, "payment", "1.0", "r", "x", clock.millis(), 1000, 5, 0, 0, 0, 0, 0, latency));

    assertThat(telemetry.rejected()).isEqualTo(1);
    assertThat(telemetry.plugins()).isEmpty();
  }

  @Test
  void aHotSwappedInstanceIsCountedUnderItsNewVersion() {
    run(10, report("payment-a-0", "1.0", 10, 0, 4, 0));
    run(2, report("payment-a-0", "1.1", 10, 0, 4, 0));

    PluginStats stats = telemetry.plugin("shop", "payment").orElseThrow();
    assertThat(stats.instances().get("payment-a-0").version()).isEqualTo("1.1");
    assertThat(stats.versions()).containsOnlyKeys("1.1");
  }
}
