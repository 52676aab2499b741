package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How the operator scales a plug-in from the bus's telemetry. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Autoscaling {

  @Default("Off")
  @JsonPropertyDescription(
      "Off: replicas.desired (or min) pods. Qps: ceil(qps / targetQpsPerReplica). Lag: ceil(lag / targetLagPerReplica). QpsAndLag: the larger of the two. External: replicas.desired is driven by an HPA or KEDA through the scale subresource.")
  private AutoscalingMode mode = AutoscalingMode.Off;

  @Min(1)
  @JsonPropertyDescription(
      "Requests per second one replica should handle (Qps and QpsAndLag modes).")
  private Integer targetQpsPerReplica;

  @Min(1)
  @JsonPropertyDescription("Unconsumed requests per replica to aim for (Lag and QpsAndLag modes).")
  private Integer targetLagPerReplica;

  @Min(0)
  @Max(3600)
  @Default("300")
  @JsonPropertyDescription(
      "How long the desired count must stay lower before the operator scales in. Scale-out is immediate. Default 300.")
  private Integer scaleDownStabilizationSeconds = 300;

  public AutoscalingMode getMode() {
    return mode;
  }

  public void setMode(AutoscalingMode mode) {
    this.mode = mode;
  }

  public Integer getTargetQpsPerReplica() {
    return targetQpsPerReplica;
  }

  public void setTargetQpsPerReplica(Integer targetQpsPerReplica) {
    this.targetQpsPerReplica = targetQpsPerReplica;
  }

  public Integer getTargetLagPerReplica() {
    return targetLagPerReplica;
  }

  public void setTargetLagPerReplica(Integer targetLagPerReplica) {
    this.targetLagPerReplica = targetLagPerReplica;
  }

  public Integer getScaleDownStabilizationSeconds() {
    return scaleDownStabilizationSeconds;
  }

  public void setScaleDownStabilizationSeconds(Integer scaleDownStabilizationSeconds) {
    this.scaleDownStabilizationSeconds = scaleDownStabilizationSeconds;
  }
}
