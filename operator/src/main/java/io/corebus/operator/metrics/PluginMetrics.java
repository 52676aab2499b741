package io.corebus.operator.metrics;

import io.corebus.operator.telemetry.PluginStats;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each plug-in's figures as Prometheus gauges, for HPA (through a metrics adapter), KEDA and
 * Grafana. The names are part of Corebus' interface (docs/operations.md):
 *
 * <ul>
 *   <li>{@code corebus_plugin_qps}, {@code corebus_plugin_error_ratio}, {@code
 *       corebus_plugin_p99_latency_seconds}: labels namespace, plugin, version (one series per
 *       version that reported within the window; sum the qps over versions for the plug-in's);
 *   <li>{@code corebus_plugin_lag}: requests waiting on the plug-in's request topics; labels
 *       namespace, plugin;
 *   <li>{@code corebus_plugin_replicas_desired}, {@code corebus_plugin_replicas_ready}: labels
 *       namespace, plugin.
 * </ul>
 *
 * Series of a version that stopped reporting, and of a deleted plug-in, are removed.
 */
public final class PluginMetrics {
  public static final String QPS = "corebus.plugin.qps";
  public static final String ERROR_RATIO = "corebus.plugin.error.ratio";
  public static final String P99 = "corebus.plugin.p99.latency.seconds";
  public static final String LAG = "corebus.plugin.lag";
  public static final String DESIRED = "corebus.plugin.replicas.desired";
  public static final String READY = "corebus.plugin.replicas.ready";

  /** The latest values of one plug-in. */
  private static final class Values {
    volatile double desired = Double.NaN;
    volatile double ready = Double.NaN;
    volatile double lag = Double.NaN;
    final Map<String, PluginStats.Figures> versions = new ConcurrentHashMap<>();
    final List<Meter> meters = new ArrayList<>();
    final Map<String, List<Meter>> versionMeters = new ConcurrentHashMap<>();
  }

  private final MeterRegistry registry;
  private final Map<String, Values> plugins = new ConcurrentHashMap<>();

  public PluginMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * Updates a plug-in's gauges.
   *
   * @param lag waiting requests, negative when unknown
   * @param stats its telemetry, null when none
   */
  public synchronized void record(
      String namespace, String plugin, int desired, int ready, long lag, PluginStats stats) {
    Values v =
        plugins.computeIfAbsent(
            namespace + "/" + plugin,
            k -> register(Tags.of("namespace", namespace, "plugin", plugin)));
    v.desired = desired;
    v.ready = ready;
    v.lag = lag < 0 ? Double.NaN : lag;
    Map<String, PluginStats.Figures> versions = stats == null ? Map.of() : stats.versions();
    for (String gone : new HashSet<>(v.versionMeters.keySet())) {
      if (!versions.containsKey(gone)) {
        v.versionMeters.remove(gone).forEach(registry::remove);
        v.versions.remove(gone);
      }
    }
    versions.forEach(
        (version, figures) -> {
          v.versions.put(version, figures);
          v.versionMeters.computeIfAbsent(
              version,
              ver -> registerVersion(v, ver, Tags.of("namespace", namespace, "plugin", plugin)));
        });
  }

  /** Removes a deleted plug-in's series. */
  public synchronized void forget(String namespace, String plugin) {
    Values v = plugins.remove(namespace + "/" + plugin);
    if (v != null) {
      v.meters.forEach(registry::remove);
      v.versionMeters.values().forEach(ms -> ms.forEach(registry::remove));
    }
  }

  private Values register(Tags tags) {
    Values v = new Values();
    v.meters.add(
        Gauge.builder(DESIRED, v, x -> x.desired)
            .description("Pods the operator aims for (autoscaler decision or replicas.desired)")
            .tags(tags)
            .register(registry));
    v.meters.add(
        Gauge.builder(READY, v, x -> x.ready)
            .description("Pods of the plug-in that are Ready")
            .tags(tags)
            .register(registry));
    v.meters.add(
        Gauge.builder(LAG, v, x -> x.lag)
            .description("Requests waiting on the plug-in's request topics (consumer group lag)")
            .tags(tags)
            .register(registry));
    return v;
  }

  private List<Meter> registerVersion(Values v, String version, Tags tags) {
    Tags t = tags.and("version", version);
    List<Meter> meters = new ArrayList<>();
    meters.add(
        Gauge.builder(QPS, v, x -> figure(x, version, Kind.QPS))
            .description("Requests per second handled, over the telemetry window")
            .tags(t)
            .register(registry));
    meters.add(
        Gauge.builder(ERROR_RATIO, v, x -> figure(x, version, Kind.ERRORS))
            .description("Fraction of requests that failed (server faults), over the window")
            .tags(t)
            .register(registry));
    meters.add(
        Gauge.builder(P99, v, x -> figure(x, version, Kind.P99))
            .description("99th percentile of request handling time (bucket upper bound), seconds")
            .tags(t)
            .register(registry));
    return meters;
  }

  private enum Kind {
    QPS,
    ERRORS,
    P99
  }

  private static double figure(Values v, String version, Kind kind) {
    PluginStats.Figures f = v.versions.get(version);
    if (f == null) {
      return Double.NaN;
    }
    return switch (kind) {
      case QPS -> f.qps();
      case ERRORS -> f.errorRate();
      case P99 -> f.p99Millis().isPresent() ? f.p99Millis().getAsDouble() / 1000.0 : Double.NaN;
    };
  }

  /** Plug-ins with series, for tests. */
  synchronized Set<String> plugins() {
    return Set.copyOf(plugins.keySet());
  }
}
