package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** Bounds on the plug-in's pod count, and the count requested through the scale subresource. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.max) || self.min <= self.max",
    message = "replicas.min must not be greater than replicas.max",
    fieldPath = ".min")
public class Replicas {

  @Min(0)
  @Max(1000)
  @Default("1")
  @JsonPropertyDescription("The fewest pods to run (0 allows scale to zero when idle). Default 1.")
  private Integer min = 1;

  @Min(0)
  @Max(1000)
  @JsonPropertyDescription(
      "The most pods to run. Defaults to min. Request topics get at least this many partitions.")
  private Integer max;

  @SpecReplicas
  @Min(0)
  @Max(1000)
  @JsonPropertyDescription(
      "The pod count requested through the scale subresource (kubectl scale, HPA, KEDA). Used when autoscaling.mode is Off or External; clamped to [min, max].")
  private Integer desired;

  public Replicas() {}

  public Replicas(Integer min, Integer max) {
    this.min = min;
    this.max = max;
  }

  public Integer getMin() {
    return min;
  }

  public void setMin(Integer min) {
    this.min = min;
  }

  public Integer getMax() {
    return max;
  }

  public void setMax(Integer max) {
    this.max = max;
  }

  public Integer getDesired() {
    return desired;
  }

  public void setDesired(Integer desired) {
    this.desired = desired;
  }
}
