package io.corebus.operator.bus;

import io.corebus.crds.Plugin;
import java.util.List;
import java.util.Optional;

/**
 * The requests (and events) waiting for a plug-in on its topics, read from Kafka rather than from
 * its runtimes, so it is known with no pod running (scale from zero) and is the lag KEDA's Kafka
 * scaler uses.
 */
public interface RequestBacklog {

  /**
   * @return empty when Kafka cannot tell now (unreachable, topics not created yet)
   */
  Optional<Backlog> of(Plugin plugin);

  /**
   * @param waiting records on the request topics past the plug-in's request group's committed
   *     offsets, plus records on the event topics it subscribes to past its event group's (past the
   *     earliest offset for a group that never committed, where a new group starts)
   * @param partitions partitions of the plug-in's largest request topic (0: it provides none)
   */
  record Backlog(long waiting, int partitions) {}

  /**
   * Records on these request topics past the committed offsets of the plug-in's request group: what
   * its pods still have to take from them (a canary's retiring lane drains to 0 before its pods
   * go).
   *
   * @return empty when Kafka cannot tell now
   */
  default Optional<Long> waitingOn(Plugin plugin, List<String> requestTopics) {
    return Optional.empty();
  }

  /** Without Kafka: never known. */
  RequestBacklog NONE = plugin -> Optional.empty();
}
