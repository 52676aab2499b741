package io.corebus.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The operator's own settings (prefix {@code corebus}); see application.properties. */
@ConfigMapping(prefix = "corebus")
public interface CorebusConfig {

  /** Image of the stock plugin runtime, used for Plugins with a jar artifact. */
  @WithDefault(OperatorSettings.DEFAULT_RUNTIME_IMAGE)
  String runtimeImage();

  /**
   * Kafka bootstrap servers handed to every runtime. Without it the operator runs but reports every
   * Plugin as Ready=False (KafkaBootstrapMissing).
   */
  Optional<String> kafkaBootstrap();

  /** Defaults for the pods the operator creates. */
  Pods pods();

  /** Rollout pacing. */
  Rollout rollout();

  /** Leader election (active in the prod profile). */
  LeaderElection leaderElection();

  interface Pods {
    /** Seconds a runtime gets to drain in-flight work before it is killed. */
    @WithDefault("30")
    long terminationGracePeriodSeconds();

    /** Resources for Plugins that set no spec.resources. */
    DefaultResources defaultResources();
  }

  interface DefaultResources {
    @WithDefault("100m")
    Optional<String> cpuRequest();

    @WithDefault("256Mi")
    Optional<String> memoryRequest();

    Optional<String> cpuLimit();

    @WithDefault("512Mi")
    Optional<String> memoryLimit();
  }

  interface Rollout {
    /**
     * A rollout advances on pod events; this is only the backstop re-check while it waits for a pod
     * to become Ready.
     */
    @WithDefault("30s")
    Duration recheckInterval();
  }

  interface LeaderElection {
    @WithDefault("corebus-operator-lock")
    String leaseName();

    /** Namespace of the Lease; empty means the operator's own namespace. */
    Optional<String> leaseNamespace();
  }
}
