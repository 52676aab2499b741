package io.corebus.operator.bus;

import io.corebus.operator.config.CorebusConfig;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator's topic settings ({@code corebus.kafka.topics.*}) as plain values.
 *
 * @param replicationFactor configured replication factor; empty = min(3, brokers)
 * @param minInsyncReplicas configured min.insync.replicas; empty = 2 with 3 or more replicas, else
 *     1
 * @param minRequestPartitions fewest partitions of a request topic
 * @param eventPartitions fewest partitions of an event topic
 * @param telemetryRetention retention of the telemetry topic
 * @param recheckInterval how long topics found as desired are trusted without asking Kafka again
 * @param drainTimeout how long a deleted plug-in's unconsumed request topics are kept
 */
public record TopicSettings(
    Optional<Integer> replicationFactor,
    Optional<Integer> minInsyncReplicas,
    int minRequestPartitions,
    int eventPartitions,
    Duration telemetryRetention,
    Duration recheckInterval,
    Duration drainTimeout) {

  /** The most replicas the derived replication factor asks for. */
  public static final int PREFERRED_REPLICAS = 3;

  public TopicSettings {
    if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
      throw new IllegalArgumentException("corebus.kafka.topics.replication-factor must be >= 1");
    }
    if (minInsyncReplicas.isPresent() && minInsyncReplicas.get() < 1) {
      throw new IllegalArgumentException("corebus.kafka.topics.min-insync-replicas must be >= 1");
    }
    if (replicationFactor.isPresent()
        && minInsyncReplicas.isPresent()
        && minInsyncReplicas.get() > replicationFactor.get()) {
      throw new IllegalArgumentException(
          "corebus.kafka.topics.min-insync-replicas ("
              + minInsyncReplicas.get()
              + ") must not exceed corebus.kafka.topics.replication-factor ("
              + replicationFactor.get()
              + "): no write could be acknowledged");
    }
    if (minRequestPartitions < 1 || eventPartitions < 1) {
      throw new IllegalArgumentException(
          "corebus.kafka.topics.min-request-partitions and event-partitions must be >= 1");
    }
  }

  /** Defaults as in application.properties: tests and tools. */
  public static TopicSettings defaults() {
    return new TopicSettings(
        Optional.empty(),
        Optional.empty(),
        3,
        3,
        Duration.ofHours(1),
        Duration.ofMinutes(5),
        Duration.ofMinutes(2));
  }

  public static TopicSettings from(CorebusConfig.Topics t) {
    return new TopicSettings(
        t.replicationFactor(),
        t.minInsyncReplicas(),
        t.minRequestPartitions(),
        t.eventPartitions(),
        t.telemetryRetention(),
        t.recheckInterval(),
        t.drainTimeout());
  }

  public TopicSettings withDrainTimeout(Duration timeout) {
    return new TopicSettings(
        replicationFactor,
        minInsyncReplicas,
        minRequestPartitions,
        eventPartitions,
        telemetryRetention,
        recheckInterval,
        timeout);
  }

  /** Whether the replication factor comes from the cluster's size. */
  public boolean derivesReplicationFactor() {
    return replicationFactor.isEmpty();
  }

  /**
   * The layout for a cluster of this many brokers. A derived replication factor is min(3, brokers);
   * a configured min.insync.replicas larger than a derived factor is lowered to it (a one-broker
   * development cluster still works with production settings).
   */
  public TopicLayout layout(int brokers) {
    int rf = replicationFactor.orElse(Math.max(1, Math.min(PREFERRED_REPLICAS, brokers)));
    int isr = minInsyncReplicas.orElse(rf >= 3 ? 2 : 1);
    if (replicationFactor.isEmpty()) {
      isr = Math.min(isr, rf);
    }
    return new TopicLayout(
        (short) rf, isr, minRequestPartitions, eventPartitions, telemetryRetention);
  }
}
