package io.corebus.operator.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many Plugins the operator manages, by readiness: the {@code corebus_plugins{ready="true"}}
 * and {@code corebus_plugins{ready="false"}} gauges. Updated by the reconciler on every reconcile
 * and when a Plugin is deleted.
 */
public final class PluginCensus {
  public static final String METRIC = "corebus.plugins";

  private final Map<String, Boolean> readyByPlugin = new ConcurrentHashMap<>();

  public PluginCensus(MeterRegistry registry) {
    Gauge.builder(METRIC, this, c -> c.count(true))
        .description("Plugins managed by the operator, by Ready condition")
        .tag("ready", "true")
        .register(registry);
    Gauge.builder(METRIC, this, c -> c.count(false))
        .description("Plugins managed by the operator, by Ready condition")
        .tag("ready", "false")
        .register(registry);
  }

  public void record(String pluginKey, boolean ready) {
    readyByPlugin.put(pluginKey, ready);
  }

  public void forget(String pluginKey) {
    readyByPlugin.remove(pluginKey);
  }

  public long count(boolean ready) {
    return readyByPlugin.values().stream().filter(r -> r == ready).count();
  }
}
