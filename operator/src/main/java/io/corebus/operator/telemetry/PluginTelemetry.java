package io.corebus.operator.telemetry;

import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.operator.telemetry.PluginStats.Figures;
import io.corebus.operator.telemetry.PluginStats.Instance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * The runtimes' telemetry, aggregated per plug-in and per version over a sliding window. Each
 * runtime instance reports once a second ({@link TelemetryReport}); {@link TelemetryFeed} hands the
 * reports of every namespace's telemetry topic to {@link #record}, and the reconciler, the
 * autoscaler, the metrics and (later) canary analysis ask {@link #plugin}.
 *
 * <p>How the figures are made, for a group of instances (a plug-in, or one version of it):
 *
 * <ul>
 *   <li>a report counts when its window ended within the last {@code window} (default 30 s);
 *   <li>qps = requests of those reports / the longest time any one instance of the group covered in
 *       the window (so an instance that stopped still counts for what it did, a plug-in that
 *       started 5 s ago is not diluted over 30 s, and two replicas are not counted as 60 s);
 *   <li>errorRate = errors / requests; p99 from the instances' latency histograms added together;
 *   <li>lag and in-flight: the sum of what the fresh instances last reported.
 * </ul>
 *
 * An instance is fresh while its last report is younger than {@code staleAfter}; instances silent
 * for longer than {@code retention} are forgotten. Thread-safe; no I/O.
 */
public final class PluginTelemetry {

  /** The reports of one runtime instance still inside the window. */
  private static final class Series {
    final String version;
    final String revision;
    final Deque<TelemetryReport> reports = new ArrayDeque<>();
    long lastMillis;

    Series(TelemetryReport first) {
      this.version = first.version();
      this.revision = first.revision();
    }

    TelemetryReport last() {
      return reports.peekLast();
    }
  }

  private final Duration window;
  private final Duration staleAfter;
  private final Duration retention;
  private final Clock clock;

  /** namespace/plugin -> instance -> its reports. */
  private final Map<String, Map<String, Series>> byPlugin = new HashMap<>();

  private long rejected;

  /**
   * @param window how far back rates, error rates and latencies look
   * @param staleAfter an instance whose last report is older than this is not fresh
   * @param clock the operator's clock (report times come from the runtimes' clocks)
   */
  public PluginTelemetry(Duration window, Duration staleAfter, Clock clock) {
    if (window.isNegative() || window.isZero() || staleAfter.isNegative() || staleAfter.isZero()) {
      throw new IllegalArgumentException("telemetry window and stale-after must be positive");
    }
    this.window = window;
    this.staleAfter = staleAfter;
    this.retention = max(Duration.ofMinutes(5), max(window, staleAfter));
    this.clock = clock;
  }

  public Duration window() {
    return window;
  }

  public Duration staleAfter() {
    return staleAfter;
  }

  /**
   * Takes one report. A report without namespace, or older than the last one of its instance (a
   * duplicate read after a restart), is ignored; a runtime's version or revision change (a hot
   * swap) starts its series afresh under the new version.
   */
  public synchronized void record(TelemetryReport report) {
    if (report.namespace() == null || report.namespace().isBlank()) {
      rejected++;
      return;
    }
    long now = clock.millis();
    // A runtime clock ahead of the operator's must not keep a report "fresh" for longer.
    long time = Math.min(report.timeMillis(), now);
    Map<String, Series> instances =
        byPlugin.computeIfAbsent(key(report.namespace(), report.plugin()), k -> new HashMap<>());
    Series series = instances.get(report.instance());
    if (series != null
        && (!java.util.Objects.equals(series.version, report.version())
            || !java.util.Objects.equals(series.revision, report.revision()))) {
      series = null;
    }
    if (series == null) {
      series = new Series(report);
      instances.put(report.instance(), series);
    } else if (time <= series.lastMillis) {
      return;
    }
    series.reports.addLast(report);
    series.lastMillis = time;
    evict(series, now);
  }

  /** Reports ignored because they named no namespace. */
  public synchronized long rejected() {
    return rejected;
  }

  /** The plug-in's figures now; empty when no instance of it reported within the retention. */
  public synchronized Optional<PluginStats> plugin(String namespace, String plugin) {
    long now = clock.millis();
    Map<String, Series> instances = byPlugin.get(key(namespace, plugin));
    if (instances == null) {
      return Optional.empty();
    }
    instances.values().removeIf(s -> s.lastMillis < now - retention.toMillis());
    if (instances.isEmpty()) {
      byPlugin.remove(key(namespace, plugin));
      return Optional.empty();
    }
    instances.values().forEach(s -> evict(s, now));

    Map<String, List<Series>> byVersion = new TreeMap<>();
    Map<String, List<Series>> byRevision = new TreeMap<>();
    Map<String, Instance> described = new TreeMap<>();
    long last = Long.MIN_VALUE;
    for (Map.Entry<String, Series> e : instances.entrySet()) {
      Series s = e.getValue();
      byVersion.computeIfAbsent(String.valueOf(s.version), v -> new ArrayList<>()).add(s);
      byRevision.computeIfAbsent(String.valueOf(s.revision), r -> new ArrayList<>()).add(s);
      TelemetryReport r = s.last();
      described.put(
          e.getKey(),
          new Instance(
              s.version,
              s.revision,
              Instant.ofEpochMilli(s.lastMillis),
              fresh(s, now),
              r == null ? -1 : r.lag(),
              r == null ? 0 : r.inFlight()));
      last = Math.max(last, s.lastMillis);
    }
    Map<String, Figures> versions = new TreeMap<>();
    byVersion.forEach((v, series) -> versions.put(v, figures(series, now)));
    Map<String, Figures> revisions = new TreeMap<>();
    byRevision.forEach((r, series) -> revisions.put(r, figures(series, now)));
    return Optional.of(
        new PluginStats(
            namespace,
            plugin,
            Instant.ofEpochMilli(now),
            figures(instances.values(), now),
            versions,
            revisions,
            described,
            Instant.ofEpochMilli(last)));
  }

  /**
   * The last report of each fresh instance of a plug-in, by instance (pod) name: what each one runs
   * now (version, jar SHA-256) and why its last hot swap failed, if it did.
   */
  public synchronized Map<String, TelemetryReport> latestReports(String namespace, String plugin) {
    long now = clock.millis();
    Map<String, Series> instances = byPlugin.get(key(namespace, plugin));
    Map<String, TelemetryReport> out = new TreeMap<>();
    if (instances != null) {
      instances.forEach(
          (instance, series) -> {
            if (fresh(series, now) && series.last() != null) {
              out.put(instance, series.last());
            }
          });
    }
    return out;
  }

  /** A plug-in by namespace and name. */
  public record PluginKey(String namespace, String plugin) {}

  /** Every plug-in with telemetry. */
  public synchronized List<PluginKey> plugins() {
    List<PluginKey> out = new ArrayList<>();
    for (String k : byPlugin.keySet()) {
      int slash = k.indexOf('/');
      out.add(new PluginKey(k.substring(0, slash), k.substring(slash + 1)));
    }
    return out;
  }

  /** Drops what is known about a plug-in (it was deleted). */
  public synchronized void forget(String namespace, String plugin) {
    byPlugin.remove(key(namespace, plugin));
  }

  private Figures figures(Collection<Series> group, long now) {
    long requests = 0;
    long errors = 0;
    long events = 0;
    int samples = 0;
    long span = 0;
    long lag = 0;
    boolean lagKnown = false;
    long inFlight = 0;
    int fresh = 0;
    long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
    for (Series s : group) {
      long covered = 0;
      for (TelemetryReport r : s.reports) {
        requests += r.requests();
        errors += r.errors();
        events += r.events();
        samples++;
        covered += Math.max(0, r.windowMillis());
        long[] counts = r.latencyCounts();
        for (int i = 0; i < latency.length; i++) {
          latency[i] += counts[i];
        }
      }
      span = Math.max(span, Math.min(covered, window.toMillis()));
      TelemetryReport r = s.last();
      if (fresh(s, now) && r != null) {
        fresh++;
        if (r.lag() >= 0) {
          lag += r.lag();
          lagKnown = true;
        }
        inFlight += Math.max(0, r.inFlight());
      }
    }
    double qps = span <= 0 ? 0 : requests * 1000.0 / span;
    double errorRate = requests == 0 ? 0 : (double) errors / requests;
    OptionalDouble p99 = TelemetryReport.quantileMillis(latency, 0.99);
    return new Figures(
        qps,
        errorRate,
        p99,
        lagKnown ? lag : -1,
        inFlight,
        requests,
        errors,
        samples,
        fresh,
        events);
  }

  private boolean fresh(Series s, long now) {
    return s.lastMillis >= now - staleAfter.toMillis();
  }

  /** Drops the reports whose window ended before the sliding window. */
  private void evict(Series s, long now) {
    long from = now - window.toMillis();
    Iterator<TelemetryReport> it = s.reports.iterator();
    while (it.hasNext()) {
      TelemetryReport r = it.next();
      if (Math.min(r.timeMillis(), now) <= from) {
        it.remove();
      } else {
        break;
      }
    }
  }

  private static String key(String namespace, String plugin) {
    return namespace + "/" + plugin;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
