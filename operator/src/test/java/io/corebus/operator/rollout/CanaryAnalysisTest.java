package io.corebus.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.CanaryRollout;
import io.corebus.crds.CanaryStep;
import io.corebus.operator.rollout.CanaryAnalysis.Decision;
import io.corebus.operator.rollout.CanaryAnalysis.Verdict;
import io.corebus.operator.telemetry.PluginStats.Figures;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class CanaryAnalysisTest {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  static CanaryRollout steps() {
    CanaryRollout c = new CanaryRollout();
    c.setSteps(List.of(new CanaryStep(10, 60), new CanaryStep(50, 60), new CanaryStep(100, 60)));
    c.setMaxErrorRateIncreasePercent(1);
    c.setMaxLatencyRatioPercent(150);
    return c;
  }

  static Optional<Figures> figures(long requests, long errors, double p99) {
    return Optional.of(
        new Figures(
            requests / 30.0,
            requests == 0 ? 0 : (double) errors / requests,
            requests == 0 ? OptionalDouble.empty() : OptionalDouble.of(p99),
            0,
            0,
            requests,
            errors,
            30,
            1,
            0));
  }

  static Verdict judge(
      int step, int secondsIn, Optional<Figures> stable, Optional<Figures> canary) {
    return CanaryAnalysis.judge(
        steps(), step, START, stable, canary, true, START.plusSeconds(secondsIn));
  }

  @Test
  void aHealthyCanaryHoldsForTheWindowThenAdvancesAndPromotesAfterTheLastStep() {
    var stable = figures(900, 9, 10); // 1 %
    var canary = figures(100, 1, 10); // 1 %
    assertThat(judge(0, 59, stable, canary).decision()).isEqualTo(Decision.HOLD);
    assertThat(judge(0, 60, stable, canary).decision()).isEqualTo(Decision.ADVANCE);
    assertThat(judge(1, 60, stable, canary).decision()).isEqualTo(Decision.ADVANCE);
    Verdict last = judge(2, 60, stable, canary);
    assertThat(last.decision()).isEqualTo(Decision.PROMOTE);
    assertThat(last.message()).contains("error rate 1.00% vs stable 1.00%");
  }

  @Test
  void anErrorRateMoreThanTheAllowedPointsAboveTheStableRollsBackAtOnce() {
    var stable = figures(900, 9, 10); // 1 %
    assertThat(judge(0, 5, stable, figures(100, 2, 10)).decision())
        .as("2 % is within 1 % + 1 point")
        .isEqualTo(Decision.HOLD);
    Verdict v = judge(0, 5, stable, figures(100, 3, 10));
    assertThat(v.decision()).isEqualTo(Decision.ROLLBACK);
    assertThat(v.reason()).isEqualTo("ErrorRate");
    assertThat(v.message()).contains("error rate 3.00% vs stable 1.00% (bound 2.00%)");
  }

  @Test
  void aP99AboveTheAllowedRatioOfTheStableRollsBackWhenTheWindowEnds() {
    var stable = figures(900, 0, 100);
    assertThat(judge(0, 60, stable, figures(100, 0, 150)).decision()).isEqualTo(Decision.ADVANCE);
    Verdict early = judge(0, 5, stable, figures(100, 0, 250));
    assertThat(early.decision())
        .as("a slow start (cold pod) is not judged before the window ends")
        .isEqualTo(Decision.HOLD);
    assertThat(early.message()).contains("p99 250 ms vs stable 100 ms (bound 150 ms)");
    Verdict v = judge(0, 60, stable, figures(100, 0, 250));
    assertThat(v.decision()).isEqualTo(Decision.ROLLBACK);
    assertThat(v.reason()).isEqualTo("Latency");
    assertThat(v.message()).contains("p99 250 ms vs stable 100 ms (bound 150 ms)");
  }

  @Test
  void aSlowStartThatIsWarmByTheWindowsEndAdvances() {
    var stable = figures(900, 0, 20);
    assertThat(judge(0, 3, stable, figures(40, 0, 900)).decision()).isEqualTo(Decision.HOLD);
    assertThat(judge(0, 60, stable, figures(600, 0, 25)).decision()).isEqualTo(Decision.ADVANCE);
  }

  @Test
  void tooFewSamplesHoldUntilTheWindowEndsThenTheStepIsJudgedOnWhatThereIs() {
    var stable = figures(900, 0, 10);
    var fewBad = figures(5, 1, 10); // 20 % of 5 requests
    assertThat(judge(0, 30, stable, fewBad).decision()).isEqualTo(Decision.HOLD);
    assertThat(judge(0, 60, stable, fewBad).decision()).isEqualTo(Decision.ROLLBACK);
    assertThat(judge(0, 60, stable, figures(5, 0, 10)).decision()).isEqualTo(Decision.ADVANCE);
    assertThat(judge(0, 60, stable, figures(0, 0, 0)).decision())
        .as("no traffic at all: nothing was seen to be worse")
        .isEqualTo(Decision.ADVANCE);
  }

  @Test
  void staleOrMissingTelemetryHoldsEvenAfterTheWindow() {
    var stable = figures(900, 0, 10);
    Verdict stale =
        CanaryAnalysis.judge(
            steps(), 0, START, stable, figures(100, 50, 10), false, START.plusSeconds(600));
    assertThat(stale.decision()).isEqualTo(Decision.HOLD);
    assertThat(stale.reason()).isEqualTo("TelemetryStale");
    assertThat(judge(0, 600, stable, Optional.empty()).decision()).isEqualTo(Decision.HOLD);
  }

  @Test
  void withoutStableTrafficTheErrorBoundIsAbsoluteAndLatencyIsNotCompared() {
    Optional<Figures> idleStable = figures(0, 0, 0);
    assertThat(judge(2, 60, idleStable, figures(100, 0, 5000)).decision())
        .isEqualTo(Decision.PROMOTE);
    assertThat(judge(2, 10, idleStable, figures(100, 2, 10)).decision())
        .as("2 % against 0 % + 1 point")
        .isEqualTo(Decision.ROLLBACK);
  }
}
