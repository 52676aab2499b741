package io.corebus.plugin;

import java.util.Map;
import java.util.Optional;

/**
 * The plug-in's configuration: the Plugin resource's {@code spec.config} as string keys and values.
 * Reads always see the latest values; a change replaces the whole map at once.
 */
public interface PluginConfig {

  Optional<String> get(String key);

  default String getOrDefault(String key, String defaultValue) {
    return get(key).orElse(defaultValue);
  }

  /** An immutable snapshot of all keys. */
  Map<String, String> asMap();

  /**
   * Calls the listener with the complete new configuration after every change, on a runtime thread,
   * one change at a time. A listener that throws is logged and still called for later changes.
   *
   * @return a handle that removes the listener
   */
  Registration onChange(ConfigListener listener);

  /** Receives the whole configuration after a change. */
  @FunctionalInterface
  interface ConfigListener {
    void onChange(Map<String, String> config) throws Exception;
  }
}
