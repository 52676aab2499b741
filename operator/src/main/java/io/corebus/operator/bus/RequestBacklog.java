package io.corebus.operator.bus;

import io.corebus.crds.Plugin;
import java.util.Optional;

/**
 * The requests waiting for a plug-in on its request topics, read from Kafka rather than from its
 * runtimes, so it is known with no pod running (scale from zero) and is the lag KEDA's Kafka scaler
 * uses.
 */
public interface RequestBacklog {

  /**
   * @return empty when Kafka cannot tell now (unreachable, topics not created yet)
   */
  Optional<Backlog> of(Plugin plugin);

  /**
   * @param waiting records on the request topics past the plug-in's group's committed offsets (past
   *     the earliest offset for a group that never committed, where a new group starts)
   * @param partitions partitions of the plug-in's largest request topic (0: it provides none)
   */
  record Backlog(long waiting, int partitions) {}

  /** Without Kafka: never known. */
  RequestBacklog NONE = plugin -> Optional.empty();
}
