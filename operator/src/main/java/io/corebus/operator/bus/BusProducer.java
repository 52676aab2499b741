package io.corebus.operator.bus;

import io.corebus.operator.config.CorebusConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.DefaultBean;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The operator's side of the bus as CDI beans, from {@code corebus.kafka.*}: the Kafka Admin client
 * ({@link BusAdmin}), its availability metrics, the topic handling, and the route-table publisher.
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

  /** The route-table publisher, writing through its own idempotent acks=all producer. */
  @Produces
  @Singleton
  @DefaultBean
  PluginRoutes routes(CorebusConfig config, KafkaAvailability availability) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()) {
      return PluginRoutes.NONE;
    }
    KafkaConnection connection = KafkaConnection.from(config.kafka());
    return new RouteTablePublisher(new KafkaRouteLog(() -> connection, availability));
  }

  void close(@Disposes PluginRoutes routes) {
    if (routes instanceof RouteTablePublisher publisher) {
      publisher.close();
    }
  }

  /** The control-topic publisher (hot swap), with its own producer. */
  @Produces
  @Singleton
  @DefaultBean
  PluginControl control(CorebusConfig config, KafkaAvailability availability) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()) {
      return PluginControl.NONE;
    }
    KafkaConnection connection = KafkaConnection.from(config.kafka());
    return new ControlTopicPublisher(new KafkaRouteLog(() -> connection, availability));
  }

  void close(@Disposes PluginControl control) throws Exception {
    if (control instanceof ControlTopicPublisher publisher) {
      publisher.close();
    }
  }

  private ScheduledExecutorService prober;

  /**
   * A background Admin call at start-up and then every probe-interval, so corebus_kafka_up tells
   * the truth early and follows an outage even when every Plugin's topics are verified already.
   */
  void probe(@Observes StartupEvent start, CorebusConfig config, BusAdmin admin) {
    if (config.kafka().bootstrapServers().filter(s -> !s.isBlank()).isEmpty()) {
      return;
    }
    prober =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "corebus-kafka-probe");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1_000, config.kafka().probeInterval().toMillis());
    prober.scheduleWithFixedDelay(admin::probe, 0, every, TimeUnit.MILLISECONDS);
  }

  void stopProbing(@Observes ShutdownEvent stop) {
    if (prober != null) {
      prober.shutdownNow();
    }
  }
}
