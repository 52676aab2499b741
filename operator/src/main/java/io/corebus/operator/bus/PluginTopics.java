package io.corebus.operator.bus;

import io.corebus.crds.Plugin;

/**
 * The Kafka topics the core owns for a plug-in (request topic, reply slots, event topics). The
 * reconciler calls {@link #release} when a Plugin is deleted, after its pods are gone and before
 * the finalizer is released: that is where the topics are deleted once the bus creates them. Until
 * the bus exists the core owns no topics, so {@link #NONE} is the implementation in use.
 */
public interface PluginTopics {

  /** Deletes the topics that belong to the plug-in and to nobody else. */
  void release(Plugin plugin);

  PluginTopics NONE = plugin -> {};
}
