package io.corebus.operator.bus;

import io.corebus.operator.config.CorebusConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * The operator's side of the bus as CDI beans, from {@code corebus.kafka.*}: the Kafka Admin client
 * ({@link BusAdmin}), its availability metrics, the topic handling, and the route seam.
 */
@ApplicationScoped
public class BusProducer {

  @Produces
  @Singleton
  KafkaAvailability availability(MeterRegistry registry, CorebusConfig config) {
    return new KafkaAvailability(
        registry,
        config.kafka().retryBackoff().initial(),
        config.kafka().retryBackoff().max(),
        Clock.systemUTC());
  }

  /** Settings are checked here, at start-up: a misconfigured operator fails fast and says why. */
  @Produces
  @Singleton
  BusAdmin admin(CorebusConfig config, KafkaAvailability availability) {
    KafkaConnection connection = KafkaConnection.from(config.kafka());
    return new BusAdmin(() -> connection, availability);
  }

  void close(@Disposes BusAdmin admin) {
    admin.close();
  }

  @Produces
  @Singleton
  PluginTopics topics(CorebusConfig config, BusAdmin admin) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()) {
      // Every Plugin is invalid (KafkaBootstrapMissing) and no topic can be reached.
      return PluginTopics.NONE;
    }
    return new KafkaPluginTopics(
        admin, TopicSettings.from(config.kafka().topics()), Clock.systemUTC());
  }

  /** Until the route-table publisher exists (see {@link PluginRoutes}). */
  @Produces
  @Singleton
  @DefaultBean
  PluginRoutes routes() {
    return PluginRoutes.NONE;
  }

  /** One Admin call at start-up, in the background, so corebus_kafka_up tells the truth early. */
  void probe(@Observes StartupEvent start, CorebusConfig config, BusAdmin admin) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isPresent()) {
      CompletableFuture.runAsync(admin::probe);
    }
  }
}
