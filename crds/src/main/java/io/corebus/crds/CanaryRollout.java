package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** The steps of a canary rollout and the bounds its analysis checks. */
public class CanaryRollout {

  /**
   * Strictly increasing weights, written out pairwise: portable CEL has no indexed iteration, and
   * steps are capped at 10 so the rule stays cheap for the API server's cost estimator.
   */
  static final String INCREASING_WEIGHTS =
      "(self.size() < 2 || self[0].weight < self[1].weight) && "
          + "(self.size() < 3 || self[1].weight < self[2].weight) && "
          + "(self.size() < 4 || self[2].weight < self[3].weight) && "
          + "(self.size() < 5 || self[3].weight < self[4].weight) && "
          + "(self.size() < 6 || self[4].weight < self[5].weight) && "
          + "(self.size() < 7 || self[5].weight < self[6].weight) && "
          + "(self.size() < 8 || self[6].weight < self[7].weight) && "
          + "(self.size() < 9 || self[7].weight < self[8].weight) && "
          + "(self.size() < 10 || self[8].weight < self[9].weight)";

  @Size(min = 1, max = 10)
  @ValidationRule(
      value = INCREASING_WEIGHTS,
      message = "canary step weights must be strictly increasing")
  @JsonPropertyDescription(
      "The weights the new version takes in turn, such as 10, 50, 100. Weights are percentages in 0..100 and strictly increasing; the last step should be 100 to finish the rollout.")
  private List<CanaryStep> steps = new ArrayList<>();

  @Min(0)
  @Max(100)
  @Default("1")
  @JsonPropertyDescription(
      "How many percentage points the new version's error rate may exceed the stable version's before the canary rolls back. Default 1.")
  private Integer maxErrorRateIncreasePercent = 1;

  @Min(100)
  @Max(1000)
  @Default("150")
  @JsonPropertyDescription(
      "The new version's p99 latency may be at most this percentage of the stable version's. Default 150.")
  private Integer maxLatencyRatioPercent = 150;

  public List<CanaryStep> getSteps() {
    return steps;
  }

  public void setSteps(List<CanaryStep> steps) {
    this.steps = steps;
  }

  public Integer getMaxErrorRateIncreasePercent() {
    return maxErrorRateIncreasePercent;
  }

  public void setMaxErrorRateIncreasePercent(Integer maxErrorRateIncreasePercent) {
    this.maxErrorRateIncreasePercent = maxErrorRateIncreasePercent;
  }

  public Integer getMaxLatencyRatioPercent() {
    return maxLatencyRatioPercent;
  }

  public void setMaxLatencyRatioPercent(Integer maxLatencyRatioPercent) {
    this.maxLatencyRatioPercent = maxLatencyRatioPercent;
  }
}
