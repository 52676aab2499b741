package io.corebus.operator.config;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Turns the typed {@link CorebusConfig} into the plain {@link OperatorSettings} record. */
@ApplicationScoped
public class OperatorSettingsProducer {

  @Produces
  @Singleton
  OperatorSettings settings(CorebusConfig config) {
    return from(config);
  }

  public static OperatorSettings from(CorebusConfig config) {
    CorebusConfig.DefaultResources r = config.pods().defaultResources();
    return new OperatorSettings(
        config.runtimeImage(),
        config.kafka().bootstrapServers(),
        OperatorSettings.resources(
            r.cpuRequest().orElse(null),
            r.memoryRequest().orElse(null),
            r.cpuLimit().orElse(null),
            r.memoryLimit().orElse(null)),
        config.pods().terminationGracePeriodSeconds(),
        config.rollout().recheckInterval());
  }
}
