package io.corebus.operator.config;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The operator-wide settings that shape every plug-in pod, as plain values: the model classes take
 * this record, never the config interface, so they stay free of Quarkus and easy to unit-test.
 *
 * @param runtimeImage the stock plugin-runtime image used for jar artifacts
 * @param kafkaBootstrap the bus's bootstrap servers; empty means the operator cannot run plug-ins
 * @param defaultResources container resources for plug-ins whose spec has none
 * @param terminationGracePeriodSeconds how long a runtime may drain before it is killed
 * @param rolloutRecheck backstop re-check interval while a rollout waits for pod events
 */
public record OperatorSettings(
    String runtimeImage,
    Optional<String> kafkaBootstrap,
    ResourceRequirements defaultResources,
    long terminationGracePeriodSeconds,
    Duration rolloutRecheck) {

  public static final String DEFAULT_RUNTIME_IMAGE = "corebus/plugin-runtime:latest";

  public OperatorSettings {
    Objects.requireNonNull(runtimeImage, "runtimeImage");
    kafkaBootstrap = kafkaBootstrap.filter(s -> !s.isBlank());
    Objects.requireNonNull(defaultResources, "defaultResources");
    Objects.requireNonNull(rolloutRecheck, "rolloutRecheck");
  }

  /** Settings for tests and tools: stock image, the given bootstrap, default resources. */
  public static OperatorSettings of(String runtimeImage, String kafkaBootstrap) {
    return new OperatorSettings(
        runtimeImage,
        Optional.ofNullable(kafkaBootstrap),
        resources("100m", "256Mi", null, "512Mi"),
        30,
        Duration.ofSeconds(30));
  }

  public OperatorSettings withKafkaBootstrap(String bootstrap) {
    return new OperatorSettings(
        runtimeImage,
        Optional.ofNullable(bootstrap),
        defaultResources,
        terminationGracePeriodSeconds,
        rolloutRecheck);
  }

  public OperatorSettings withRuntimeImage(String image) {
    return new OperatorSettings(
        image, kafkaBootstrap, defaultResources, terminationGracePeriodSeconds, rolloutRecheck);
  }

  public OperatorSettings withTerminationGracePeriodSeconds(long seconds) {
    return new OperatorSettings(
        runtimeImage, kafkaBootstrap, defaultResources, seconds, rolloutRecheck);
  }

  public OperatorSettings withRolloutRecheck(Duration recheck) {
    return new OperatorSettings(
        runtimeImage, kafkaBootstrap, defaultResources, terminationGracePeriodSeconds, recheck);
  }

  /** Builds resource requirements; null values are left out. */
  public static ResourceRequirements resources(
      String cpuRequest, String memoryRequest, String cpuLimit, String memoryLimit) {
    ResourceRequirementsBuilder b = new ResourceRequirementsBuilder();
    if (cpuRequest != null) {
      b.addToRequests("cpu", new Quantity(cpuRequest));
    }
    if (memoryRequest != null) {
      b.addToRequests("memory", new Quantity(memoryRequest));
    }
    if (cpuLimit != null) {
      b.addToLimits("cpu", new Quantity(cpuLimit));
    }
    if (memoryLimit != null) {
      b.addToLimits("memory", new Quantity(memoryLimit));
    }
    return b.build();
  }
}
