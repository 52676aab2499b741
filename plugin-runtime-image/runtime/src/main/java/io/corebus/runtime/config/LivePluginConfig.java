package io.corebus.runtime.config;

import io.corebus.plugin.PluginConfig;
import io.corebus.plugin.Registration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/** The plug-in's configuration: the latest snapshot and the listeners to tell about changes. */
public final class LivePluginConfig implements PluginConfig {
  private static final Logger LOG = Logger.getLogger(LivePluginConfig.class);

  private final CopyOnWriteArrayList<ConfigListener> listeners = new CopyOnWriteArrayList<>();
  private final ClassLoader listenerLoader;
  private volatile Map<String, String> current;

  public LivePluginConfig(Map<String, String> initial, ClassLoader listenerLoader) {
    this.current = Map.copyOf(initial);
    this.listenerLoader = listenerLoader;
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

  /**
   * Replaces the configuration and calls every listener, in registration order, on this thread.
   * Returns false (and calls nobody) when nothing changed.
   */
  public synchronized boolean update(Map<String, String> next) {
    Map<String, String> snapshot = Map.copyOf(next);
    if (snapshot.equals(current)) {
      return false;
    }
    current = snapshot;
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(listenerLoader);
    try {
      for (ConfigListener listener : listeners) {
        try {
          listener.onChange(snapshot);
        } catch (Exception | LinkageError e) {
          LOG.errorf(e, "the plug-in's configuration listener %s failed", listener);
        }
      }
    } finally {
      thread.setContextClassLoader(previous);
    }
    return true;
  }
}
