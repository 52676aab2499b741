package io.corebus.operator.telemetry;

import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.config.CorebusConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * {@link PluginTelemetry} as a CDI bean, fed from Kafka by a {@link TelemetryFeed} from start-up to
 * shut-down (when Kafka is configured).
 */
@ApplicationScoped
public class TelemetryProducer {
  private TelemetryFeed feed;

  @Produces
  @Singleton
  PluginTelemetry telemetry(CorebusConfig config) {
    return new PluginTelemetry(
        config.telemetry().window(), config.telemetry().staleAfter(), Clock.systemUTC());
  }

  void start(@Observes StartupEvent start, CorebusConfig config, PluginTelemetry telemetry) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()) {
      return;
    }
    KafkaConnection connection = KafkaConnection.from(config.kafka());
    feed =
        TelemetryFeed.start(
            connection::consumerProperties, telemetry, config.telemetry().discoveryInterval());
  }

  void stop(@Observes ShutdownEvent stop) {
    if (feed != null) {
      feed.close();
    }
  }
}
