package io.corebus.samples.shop.testkit;

import io.corebus.plugin.PluginConfig;
import io.corebus.plugin.Registration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Configuration that a test changes with {@link #update}: like the runtime, a change replaces the
 * whole map and then calls every listener on the updating thread; a listener that throws is
 * recorded in {@link #listenerFailures()} and the others still run.
 */
public final class InMemoryConfig implements PluginConfig {
  private final List<ConfigListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Exception> listenerFailures = new CopyOnWriteArrayList<>();
  private volatile Map<String, String> current;

  InMemoryConfig(Map<String, String> initial) {
    this.current = Map.copyOf(initial);
  }

  @Override
  public Optional<String> get(String key) {
    return Optional.ofNullable(current.get(key));
  }

  @Override
  public Map<String, String> asMap() {
    return current;
  }

  @Override
  public Registration onChange(ConfigListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  synchronized void update(Map<String, String> next) {
    Map<String, String> snapshot = Map.copyOf(next);
    if (snapshot.equals(current)) {
      return;
    }
    current = snapshot;
    for (ConfigListener listener : listeners) {
      try {
        listener.onChange(snapshot);
      } catch (Exception e) {
        listenerFailures.add(e);
      }
    }
  }

  /** How many listeners are registered (a plug-in should remove its own in {@code stop}). */
  public int listenerCount() {
    return listeners.size();
  }

  public List<Exception> listenerFailures() {
    return List.copyOf(listenerFailures);
  }
}
