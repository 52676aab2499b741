package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/** One step of a canary: the new version's share of requests, held for an analysis window. */
public class CanaryStep {

  @Required
  @Min(0)
  @Max(100)
  @JsonPropertyDescription(
      "Percentage of requests (0..100) routed to the new version during this step.")
  private Integer weight;

  @Min(0)
  @Max(86400)
  @Default("60")
  @JsonPropertyDescription(
      "How long to hold this step and compare the versions before advancing. Default 60.")
  private Integer analysisSeconds = 60;

  public CanaryStep() {}

  public CanaryStep(Integer weight, Integer analysisSeconds) {
    this.weight = weight;
    this.analysisSeconds = analysisSeconds;
  }

  public Integer getWeight() {
    return weight;
  }

  public void setWeight(Integer weight) {
    this.weight = weight;
  }

  public Integer getAnalysisSeconds() {
    return analysisSeconds;
  }

  public void setAnalysisSeconds(Integer analysisSeconds) {
    this.analysisSeconds = analysisSeconds;
  }
}
