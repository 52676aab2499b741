package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A status condition, shaped like Kubernetes' metav1.Condition. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  @JsonPropertyDescription("The condition's type: Ready, Progressing or Degraded.")
  private String type;

  @JsonPropertyDescription("True, False or Unknown.")
  private String status;

  @JsonPropertyDescription("A CamelCase word that says why the condition has its status.")
  private String reason;

  @JsonPropertyDescription("A sentence for people: what is wrong or what is happening.")
  private String message;

  @JsonPropertyDescription("When status last changed (RFC 3339).")
  private String lastTransitionTime;

  @JsonPropertyDescription("The metadata.generation this condition was computed from.")
  private Long observedGeneration;

  public Condition() {}

  public Condition(String type, String status, String reason, String message) {
    this.type = type;
    this.status = status;
    this.reason = reason;
    this.message = message;
  }

  /** Same type, status, reason and message: a change worth a status write. */
  public boolean sameStateAs(Condition other) {
    return other != null
        && Objects.equals(type, other.type)
        && Objects.equals(status, other.status)
        && Objects.equals(reason, other.reason)
        && Objects.equals(message, other.message);
  }

  public String getType() {
    return type;
  }

  public void setType(String type) {
    this.type = type;
  }

  public String getStatus() {
    return status;
  }

  public void setStatus(String status) {
    this.status = status;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getLastTransitionTime() {
    return lastTransitionTime;
  }

  public void setLastTransitionTime(String lastTransitionTime) {
    this.lastTransitionTime = lastTransitionTime;
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Condition c
        && sameStateAs(c)
        && Objects.equals(lastTransitionTime, c.lastTransitionTime)
        && Objects.equals(observedGeneration, c.observedGeneration);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, status, reason, message, lastTransitionTime, observedGeneration);
  }

  @Override
  public String toString() {
    return type + "=" + status + " (" + reason + "): " + message;
  }
}
