package io.corebus.operator.bus;

import io.corebus.bus.protocol.DesiredArtifact;

/**
 * Where the operator tells a plug-in's running runtimes which jar to run (hot swap): the compacted
 * {@code BusTopics.control()} topic of the Plugin's namespace, one {@link DesiredArtifact} record
 * per plug-in. {@link ControlTopicPublisher} is the implementation, {@link #NONE} stands in when
 * the operator has no Kafka.
 *
 * <p>Implementations must be idempotent: the reconciler calls {@link #publish} when the desired
 * artifact differs from what it last handed over, and again after an operator restart (runtimes
 * that already run the jar do nothing).
 */
public interface PluginControl {

  /**
   * Writes the plug-in's desired artifact; returns once Kafka acknowledged it.
   *
   * @throws RuntimeException when it could not be written; the reconciler reports it and calls
   *     again later
   */
  void publish(String namespace, DesiredArtifact desired);

  /** Removes the plug-in's record (a tombstone): its runtimes run what their pod says. */
  void withdraw(String namespace, String plugin);

  /** No Kafka: no control topic. */
  PluginControl NONE =
      new PluginControl() {
        @Override
        public void publish(String namespace, DesiredArtifact desired) {}

        @Override
        public void withdraw(String namespace, String plugin) {}
      };
}
