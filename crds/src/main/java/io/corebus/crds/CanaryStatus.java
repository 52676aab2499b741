package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Where a canary rollout stands. Kept in status so that a restarted operator continues the canary
 * at the same step instead of starting over.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CanaryStatus {

  public static final String PROGRESSING = "Progressing";
  public static final String PROMOTED = "Promoted";
  public static final String ROLLED_BACK = "RolledBack";

  @JsonPropertyDescription(
      "Progressing while the steps run; Promoted once the new revision took every request; RolledBack when the analysis failed and the stable revision took every request back.")
  private String phase;

  @JsonPropertyDescription("The revision that served before the canary (it keeps the rest).")
  private String stableRevision;

  @JsonPropertyDescription("The new revision under analysis.")
  private String canaryRevision;

  @JsonPropertyDescription("The plug-in version of the new revision.")
  private String canaryVersion;

  @JsonPropertyDescription("Index (from 0) of the current step in spec.rollout.canary.steps.")
  private Integer step;

  @JsonPropertyDescription("Percentage of requests the new revision gets now.")
  private Integer weight;

  @JsonPropertyDescription(
      "When the current step's analysis window started (RFC 3339): the new revision's weight took effect and it had a Ready pod.")
  private String stepStartTime;

  @JsonPropertyDescription(
      "The last analysis verdict: Hold (window running, too few samples or stale telemetry), Advance, Promote or Rollback.")
  private String verdict;

  @JsonPropertyDescription("Why: the figures the verdict compared.")
  private String message;

  public CanaryStatus() {}

  public CanaryStatus copy() {
    CanaryStatus c = new CanaryStatus();
    c.phase = phase;
    c.stableRevision = stableRevision;
    c.canaryRevision = canaryRevision;
    c.canaryVersion = canaryVersion;
    c.step = step;
    c.weight = weight;
    c.stepStartTime = stepStartTime;
    c.verdict = verdict;
    c.message = message;
    return c;
  }

  public String getPhase() {
    return phase;
  }

  public void setPhase(String phase) {
    this.phase = phase;
  }

  public String getStableRevision() {
    return stableRevision;
  }

  public void setStableRevision(String stableRevision) {
    this.stableRevision = stableRevision;
  }

  public String getCanaryRevision() {
    return canaryRevision;
  }

  public void setCanaryRevision(String canaryRevision) {
    this.canaryRevision = canaryRevision;
  }

  public String getCanaryVersion() {
    return canaryVersion;
  }

  public void setCanaryVersion(String canaryVersion) {
    this.canaryVersion = canaryVersion;
  }

  public Integer getStep() {
    return step;
  }

  public void setStep(Integer step) {
    this.step = step;
  }

  public Integer getWeight() {
    return weight;
  }

  public void setWeight(Integer weight) {
    this.weight = weight;
  }

  public String getStepStartTime() {
    return stepStartTime;
  }

  public void setStepStartTime(String stepStartTime) {
    this.stepStartTime = stepStartTime;
  }

  public String getVerdict() {
    return verdict;
  }

  public void setVerdict(String verdict) {
    this.verdict = verdict;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CanaryStatus c
        && Objects.equals(phase, c.phase)
        && Objects.equals(stableRevision, c.stableRevision)
        && Objects.equals(canaryRevision, c.canaryRevision)
        && Objects.equals(canaryVersion, c.canaryVersion)
        && Objects.equals(step, c.step)
        && Objects.equals(weight, c.weight)
        && Objects.equals(stepStartTime, c.stepStartTime)
        && Objects.equals(verdict, c.verdict)
        && Objects.equals(message, c.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(phase, stableRevision, canaryRevision, step, weight);
  }
}
