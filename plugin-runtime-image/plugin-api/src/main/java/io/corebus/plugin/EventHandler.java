package io.corebus.plugin;

/**
 * Handles one event. Throwing marks the attempt as failed (see {@link PluginContext#subscribe}).
 */
@FunctionalInterface
public interface EventHandler {
  void handle(Event event) throws Exception;
}
