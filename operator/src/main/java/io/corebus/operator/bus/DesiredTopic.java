package io.corebus.operator.bus;

import java.util.Map;

/**
 * A Kafka topic as the core wants it.
 *
 * @param name the topic's name, from {@link io.corebus.bus.protocol.BusTopics}
 * @param kind what the topic is for
 * @param partitions the fewest partitions it must have (an existing topic is never shrunk)
 * @param replicationFactor replicas of each partition, for a new topic
 * @param configs topic configs set at creation; {@code cleanup.policy} is also checked on existing
 *     topics
 */
public record DesiredTopic(
    String name, Kind kind, int partitions, short replicationFactor, Map<String, String> configs) {

  public enum Kind {
    /** Requests for one service. */
    REQUESTS,
    /** Events of one type. */
    EVENTS,
    /** A plug-in's dead letters. */
    DEAD_LETTERS,
    /** The namespace's telemetry. */
    TELEMETRY,
    /** The namespace's route table (compacted). */
    ROUTES,
    /** The namespace's control commands (compacted; hot swap). */
    CONTROL
  }

  public DesiredTopic {
    configs = Map.copyOf(configs);
  }
}
