package io.corebus.operator.bus;

import java.time.Duration;

/**
 * The sizes and configs new topics get, once the replication factor is known.
 *
 * @param replicationFactor replicas of each partition
 * @param minInsyncReplicas replicas that must acknowledge a write (producers use acks=all)
 * @param minRequestPartitions fewest partitions of a request topic
 * @param eventPartitions fewest partitions of an event topic
 * @param telemetryRetention retention of the telemetry topic
 */
public record TopicLayout(
    short replicationFactor,
    int minInsyncReplicas,
    int minRequestPartitions,
    int eventPartitions,
    Duration telemetryRetention) {

  public TopicLayout {
    if (replicationFactor < 1 || minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
      throw new IllegalArgumentException(
          "min.insync.replicas "
              + minInsyncReplicas
              + " must be between 1 and the replication factor "
              + replicationFactor);
    }
    if (minRequestPartitions < 1 || eventPartitions < 1) {
      throw new IllegalArgumentException("topics need at least one partition");
    }
  }
}
