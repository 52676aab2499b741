package io.corebus.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The scaling simulation still runs and shows what docs/benchmarks.md says it shows. */
class ScalingSimulationTest {

  @Test
  void onALoadStepCorebusDecidesNoLaterThanTheHpaWhichDecidesNoLaterThanKeda() {
    List<ScalingSimulation.Run> runs = ScalingSimulation.stepRuns(15);
    ScalingSimulation.main(new String[] {"15"});
    ScalingSimulation.Run corebus = runs.get(0);
    ScalingSimulation.Run hpa = runs.get(1);
    ScalingSimulation.Run keda = runs.get(2);
    assertThat(runs).allSatisfy(r -> assertThat(r.fullServing()).isPositive());
    assertThat(corebus.firstDecision()).isLessThanOrEqualTo(hpa.firstDecision());
    assertThat(hpa.firstDecision()).isLessThanOrEqualTo(keda.firstDecision());
    assertThat(corebus.fullServing()).isLessThanOrEqualTo(keda.fullServing());
    // Every one of them waits out its stabilization window before scaling in.
    assertThat(runs)
        .allSatisfy(r -> assertThat(r.scaleDownAfterStep()).isGreaterThanOrEqualTo(300));
  }

  @Test
  void aSquareWaveMakesNoneOfThemFlap() {
    assertThat(ScalingSimulation.squareRuns(15))
        .allSatisfy(r -> assertThat(r.scaleEvents()).isLessThanOrEqualTo(2));
  }
}
