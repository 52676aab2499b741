package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a user declares about a plug-in. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!has(self.autoscaling) || !(self.autoscaling.mode in ['Qps', 'QpsAndLag']) || has(self.autoscaling.targetQpsPerReplica)",
    message =
        "autoscaling.targetQpsPerReplica is required when autoscaling.mode is Qps or QpsAndLag",
    fieldPath = ".autoscaling.targetQpsPerReplica")
@ValidationRule(
    value =
        "!has(self.autoscaling) || !(self.autoscaling.mode in ['Lag', 'QpsAndLag']) || has(self.autoscaling.targetLagPerReplica)",
    message =
        "autoscaling.targetLagPerReplica is required when autoscaling.mode is Lag or QpsAndLag",
    fieldPath = ".autoscaling.targetLagPerReplica")
@ValidationRule(
    value = "!has(self.rollout) || self.rollout.strategy != 'HotSwap' || has(self.artifact.jar)",
    message = "rollout.strategy HotSwap needs a jar artifact: an image cannot be swapped in place",
    fieldPath = ".rollout.strategy")
public class PluginSpec {

  /** Full protobuf names, such as {@code shop.payment.PaymentService}. */
  public static final String SERVICE_NAME_PATTERN =
      "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$";

  /** Plug-in (Plugin resource) names: a DNS-1123 label short enough to prefix pod names. */
  public static final String PLUGIN_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$";

  /** The most entries spec.config may hold. */
  public static final int MAX_CONFIG_ENTRIES = 256;

  /** Event types: dotted names such as {@code shop.order.OrderPlaced}. */
  public static final String EVENT_TYPE_PATTERN =
      "^[A-Za-z0-9]([A-Za-z0-9_.-]{0,198}[A-Za-z0-9])?$";

  @Required
  @Pattern("^[A-Za-z0-9]([A-Za-z0-9_.+-]{0,62}[A-Za-z0-9])?$")
  @JsonPropertyDescription(
      "The plug-in's version, such as 1.4.2. Reported by the runtime and used to tell versions apart during a rollout. Up to 64 characters: letters, digits, '.', '_', '+', '-'.")
  private String version;

  @Required
  @JsonPropertyDescription("Where the plug-in's code comes from: exactly one of image or jar.")
  private Artifact artifact;

  @JsonPropertyDescription(
      "The gRPC services this plug-in implements. A service is provided by at most one Plugin in a namespace: the older Plugin keeps it, a newer one is refused.")
  private List<ProvidedService> provides = new ArrayList<>();

  @JsonPropertyDescription(
      "Event types this plug-in subscribes to. Each event reaches each subscribing plug-in once, load-balanced across its replicas.")
  private List<@Pattern(EVENT_TYPE_PATTERN) String> subscribes = new ArrayList<>();

  @JsonPropertyDescription("Event types this plug-in publishes.")
  private List<@Pattern(EVENT_TYPE_PATTERN) String> publishes = new ArrayList<>();

  @JsonPropertyDescription(
      "gRPC services (full names) this plug-in calls. A requirement that no Plugin in the namespace provides shows in the Ready condition.")
  private List<@Pattern(SERVICE_NAME_PATTERN) String> requires = new ArrayList<>();

  @JsonPropertyDescription("How many pods run this plug-in. Defaults to exactly one.")
  private Replicas replicas;

  @JsonPropertyDescription(
      "How the operator scales the plug-in between replicas.min and replicas.max.")
  private Autoscaling autoscaling;

  @JsonPropertyDescription("How a new version replaces the running one. Defaults to Rolling.")
  private Rollout rollout;

  /**
   * The entries become keys of a ConfigMap, so they follow its key rules. maxProperties bounds the
   * rule's cost for the API server's estimator (a rule iterating an unbounded map is refused).
   */
  @Size(max = MAX_CONFIG_ENTRIES)
  @ValidationRule(
      value =
          "self.all(k, k.size() <= 253 && k.matches('^[-._a-zA-Z0-9]+$') && k != '.' && k != '..')",
      message =
          "config keys must be at most 253 characters of letters, digits, '-', '_' and '.', and not '.' or '..'")
  @JsonPropertyDescription(
      "Configuration handed to the plug-in as key/value pairs (the plug-in reads them from its context). Changes reach running plug-ins without a restart. At most 256 entries; keys follow ConfigMap key rules.")
  private Map<String, String> config = new LinkedHashMap<>();

  @JsonPropertyDescription(
      "CPU and memory for the plug-in's runtime container. Defaults suit a small JVM plug-in.")
  private ResourceRequirements resources;

  @JsonPropertyDescription(
      "Extra environment variables for the runtime container. Names starting with COREBUS_ are reserved and refused.")
  private List<EnvVar> env = new ArrayList<>();

  @JsonPropertyDescription(
      "An escape hatch merged into the pods the operator creates: labels, annotations, nodeSelector, tolerations, affinity, extra volumes and sidecars. It may not replace the runtime container's image, command, ports or probes, nor weaken its security context.")
  private PodTemplateSpec podTemplate;

  public String getVersion() {
    return version;
  }

  public void setVersion(String version) {
    this.version = version;
  }

  public Artifact getArtifact() {
    return artifact;
  }

  public void setArtifact(Artifact artifact) {
    this.artifact = artifact;
  }

  public List<ProvidedService> getProvides() {
    return provides;
  }

  public void setProvides(List<ProvidedService> provides) {
    this.provides = provides;
  }

  public List<String> getSubscribes() {
    return subscribes;
  }

  public void setSubscribes(List<String> subscribes) {
    this.subscribes = subscribes;
  }

  public List<String> getPublishes() {
    return publishes;
  }

  public void setPublishes(List<String> publishes) {
    this.publishes = publishes;
  }

  public List<String> getRequires() {
    return requires;
  }

  public void setRequires(List<String> requires) {
    this.requires = requires;
  }

  public Replicas getReplicas() {
    return replicas;
  }

  public void setReplicas(Replicas replicas) {
    this.replicas = replicas;
  }

  public Autoscaling getAutoscaling() {
    return autoscaling;
  }

  public void setAutoscaling(Autoscaling autoscaling) {
    this.autoscaling = autoscaling;
  }

  public Rollout getRollout() {
    return rollout;
  }

  public void setRollout(Rollout rollout) {
    this.rollout = rollout;
  }

  public Map<String, String> getConfig() {
    return config;
  }

  public void setConfig(Map<String, String> config) {
    this.config = config;
  }

  public ResourceRequirements getResources() {
    return resources;
  }

  public void setResources(ResourceRequirements resources) {
    this.resources = resources;
  }

  public List<EnvVar> getEnv() {
    return env;
  }

  public void setEnv(List<EnvVar> env) {
    this.env = env;
  }

  public PodTemplateSpec getPodTemplate() {
    return podTemplate;
  }

  public void setPodTemplate(PodTemplateSpec podTemplate) {
    this.podTemplate = podTemplate;
  }
}
