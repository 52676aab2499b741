package io.corebus.operator.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Registers the {@link PluginCensus} gauges on Quarkus' meter registry (Prometheus). */
@ApplicationScoped
public class PluginCensusProducer {

  @Produces
  @Singleton
  PluginCensus census(MeterRegistry registry) {
    return new PluginCensus(registry);
  }
}
