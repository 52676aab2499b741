package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Pods and routing weight of one version (revision) of a plug-in. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class VersionStatus {

  @JsonPropertyDescription("The plug-in version (spec.version of the revision).")
  private String version;

  @JsonPropertyDescription("The revision hash of the pod template that runs this version.")
  private String revision;

  @JsonPropertyDescription("Pods that run this revision.")
  private Integer replicas;

  @JsonPropertyDescription("Pods of this revision that are Ready.")
  private Integer readyReplicas;

  @JsonPropertyDescription("Percentage of requests routed to this version.")
  private Integer weight;

  @JsonPropertyDescription(
      "During and after a canary: stable (served before), canary (under analysis) or retiring (weight 0, its pods go once its request topic is drained).")
  private String role;

  public VersionStatus() {}

  public VersionStatus(
      String version, String revision, int replicas, int readyReplicas, int weight) {
    this.version = version;
    this.revision = revision;
    this.replicas = replicas;
    this.readyReplicas = readyReplicas;
    this.weight = weight;
  }

  public String getVersion() {
    return version;
  }

  public void setVersion(String version) {
    this.version = version;
  }

  public String getRevision() {
    return revision;
  }

  public void setRevision(String revision) {
    this.revision = revision;
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

  public Integer getWeight() {
    return weight;
  }

  public void setWeight(Integer weight) {
    this.weight = weight;
  }

  public String getRole() {
    return role;
  }

  public void setRole(String role) {
    this.role = role;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionStatus v
        && Objects.equals(version, v.version)
        && Objects.equals(revision, v.revision)
        && Objects.equals(replicas, v.replicas)
        && Objects.equals(readyReplicas, v.readyReplicas)
        && Objects.equals(weight, v.weight)
        && Objects.equals(role, v.role);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, revision, replicas, readyReplicas, weight);
  }
}
