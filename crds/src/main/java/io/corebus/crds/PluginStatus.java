package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed about a plug-in. Written only by the operator's status aggregator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PluginStatus {

  @JsonPropertyDescription("The metadata.generation of the spec this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription("Ready, Progressing and Degraded, each with a reason and a message.")
  private List<Condition> conditions = new ArrayList<>();

  @StatusReplicas
  @JsonPropertyDescription("Pods that exist for this plug-in, all versions together.")
  private Integer replicas;

  @JsonPropertyDescription("Pods of this plug-in that are Ready.")
  private Integer readyReplicas;

  @LabelSelector
  @JsonPropertyDescription(
      "Label selector of the plug-in's pods, for the scale subresource (HPA, KEDA).")
  private String selector;

  @JsonPropertyDescription("The revision hash of the pod template for the current spec.")
  private String updateRevision;

  @JsonPropertyDescription("Pod count, readiness and routing weight of each version that has pods.")
  private List<VersionStatus> versions = new ArrayList<>();

  @JsonPropertyDescription(
      "The pod count the operator aims for: replicas.desired clamped to [min, max] (modes Off and External), or the autoscaler's decision (Qps, Lag, QpsAndLag), kept here so an operator restart keeps it.")
  private Integer desiredReplicas;

  @JsonPropertyDescription("Requests per second handled by all replicas (sliding window).")
  private Double qps;

  @JsonPropertyDescription("Requests waiting on the plug-in's request topic (consumer lag).")
  private Long lag;

  @JsonPropertyDescription("99th percentile of request handling latency, in milliseconds.")
  private Double p99LatencyMs;

  @JsonPropertyDescription("Fraction of requests (0..1) that failed, over the same window as qps.")
  private Double errorRate;

  @JsonPropertyDescription("When the operator last changed the replica count (RFC 3339).")
  private String lastScaleTime;

  @JsonPropertyDescription(
      "The current or last canary rollout (strategy Canary): step, weight and the analysis verdict.")
  private CanaryStatus canary;

  public Condition condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public Integer getReplicas() {
    return replicas;
  }

  public void setReplicas(Integer replicas) {
    this.replicas = replicas;
  }

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public String getSelector() {
    return selector;
  }

  public void setSelector(String selector) {
    this.selector = selector;
  }

  public String getUpdateRevision() {
    return updateRevision;
  }

  public void setUpdateRevision(String updateRevision) {
    this.updateRevision = updateRevision;
  }

  public List<VersionStatus> getVersions() {
    return versions;
  }

  public void setVersions(List<VersionStatus> versions) {
    this.versions = versions;
  }

  public Integer getDesiredReplicas() {
    return desiredReplicas;
  }

  public void setDesiredReplicas(Integer desiredReplicas) {
    this.desiredReplicas = desiredReplicas;
  }

  public Double getQps() {
    return qps;
  }

  public void setQps(Double qps) {
    this.qps = qps;
  }

  public Long getLag() {
    return lag;
  }

  public void setLag(Long lag) {
    this.lag = lag;
  }

  public Double getP99LatencyMs() {
    return p99LatencyMs;
  }

  public void setP99LatencyMs(Double p99LatencyMs) {
    this.p99LatencyMs = p99LatencyMs;
  }

  public Double getErrorRate() {
    return errorRate;
  }

  public void setErrorRate(Double errorRate) {
    this.errorRate = errorRate;
  }

  public String getLastScaleTime() {
    return lastScaleTime;
  }

  public void setLastScaleTime(String lastScaleTime) {
    this.lastScaleTime = lastScaleTime;
  }

  public CanaryStatus getCanary() {
    return canary;
  }

  public void setCanary(CanaryStatus canary) {
    this.canary = canary;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PluginStatus s
        && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(conditions, s.conditions)
        && Objects.equals(replicas, s.replicas)
        && Objects.equals(readyReplicas, s.readyReplicas)
        && Objects.equals(selector, s.selector)
        && Objects.equals(updateRevision, s.updateRevision)
        && Objects.equals(versions, s.versions)
        && Objects.equals(desiredReplicas, s.desiredReplicas)
        && Objects.equals(qps, s.qps)
        && Objects.equals(lag, s.lag)
        && Objects.equals(p99LatencyMs, s.p99LatencyMs)
        && Objects.equals(errorRate, s.errorRate)
        && Objects.equals(lastScaleTime, s.lastScaleTime)
        && Objects.equals(canary, s.canary);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, replicas, readyReplicas, selector, updateRevision);
  }
}
