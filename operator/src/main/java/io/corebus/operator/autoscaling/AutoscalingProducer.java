package io.corebus.operator.autoscaling;

import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaRequestBacklog;
import io.corebus.operator.bus.RequestBacklog;
import io.corebus.operator.config.CorebusConfig;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The reconciler's {@link PluginScaler}, from {@code corebus.autoscaling.*}. */
@ApplicationScoped
public class AutoscalingProducer {

  @Produces
  @Singleton
  PluginScaler scaler(
      CorebusConfig config, PluginTelemetry telemetry, BusAdmin admin, MeterRegistry registry) {
    RequestBacklog backlog =
        config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()
            ? RequestBacklog.NONE
            : new KafkaRequestBacklog(admin);
    return new PluginScaler(
        telemetry,
        backlog,
        new PluginMetrics(registry),
        config.autoscaling().syncPeriod(),
        config.autoscaling().statusInterval(),
        Clock.systemUTC());
  }
}
