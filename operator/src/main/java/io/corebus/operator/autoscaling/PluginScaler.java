package io.corebus.operator.autoscaling;

import io.corebus.crds.Autoscaling;
import io.corebus.crds.AutoscalingMode;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.operator.bus.RequestBacklog;
import io.corebus.operator.bus.RequestBacklog.Backlog;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.ReplicaCount;
import io.corebus.operator.telemetry.PluginStats;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.fabric8.kubernetes.api.model.Pod;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reconciler's one call into autoscaling: for a valid Plugin, the pod count to run now (the
 * {@link Autoscaler}'s decision on the plug-in's {@link PluginTelemetry} and {@link
 * RequestBacklog}), the figures for its status and the metrics. Holds what must outlive a
 * reconcile: each plug-in's {@link ScaleHistory} and when its status figures were last written.
 *
 * <p>Level-triggered: the count in force is read back from status.desiredReplicas, and a restarted
 * operator does not scale in before it has watched a whole stabilization window.
 */
public final class PluginScaler {

  /**
   * What to do for one Plugin.
   *
   * @param desired the pod count to run now
   * @param condition the Autoscaling condition, null in mode Off
   * @param figures the status figures to write (the previous ones while the figures' rate limit
   *     holds them back)
   * @param lastScaleTime status.lastScaleTime: now when the count changed, else the previous one
   * @param recheckAfter when to evaluate again without an event; null for never
   */
  public record Scaling(
      int desired,
      ScaleDecision.Verdict condition,
      StatusFigures figures,
      String lastScaleTime,
      Duration recheckAfter) {}

  /** The telemetry fields of status, rounded so that noise does not cause status writes. */
  public record StatusFigures(Double qps, Long lag, Double p99LatencyMs, Double errorRate) {
    public static final StatusFigures NONE = new StatusFigures(null, null, null, null);

    static StatusFigures of(PluginStatus status) {
      return status == null
          ? NONE
          : new StatusFigures(
              status.getQps(), status.getLag(), status.getP99LatencyMs(), status.getErrorRate());
    }
  }

  private final PluginTelemetry telemetry;
  private final RequestBacklog backlog;
  private final PluginMetrics metrics;
  private final Duration syncPeriod;
  private final Duration statusInterval;
  private final Clock clock;
  private final Map<String, ScaleHistory> histories = new ConcurrentHashMap<>();
  private final Map<String, Instant> figuresWritten = new ConcurrentHashMap<>();
  private final Map<String, Instant> messageWritten = new ConcurrentHashMap<>();

  public PluginScaler(
      PluginTelemetry telemetry,
      RequestBacklog backlog,
      PluginMetrics metrics,
      Duration syncPeriod,
      Duration statusInterval,
      Clock clock) {
    this.telemetry = telemetry;
    this.backlog = backlog;
    this.metrics = metrics;
    this.syncPeriod = syncPeriod;
    this.statusInterval = statusInterval;
    this.clock = clock;
  }

  /** No telemetry and no Kafka: autoscaled Plugins hold their count (Autoscaling condition). */
  public static PluginScaler withoutTelemetry(Clock clock) {
    return new PluginScaler(
        new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), clock),
        RequestBacklog.NONE,
        new PluginMetrics(new SimpleMeterRegistry()),
        Duration.ofSeconds(5),
        Duration.ofSeconds(15),
        clock);
  }

  public PluginTelemetry telemetry() {
    return telemetry;
  }

  /** What waits on the plug-ins' topics, read from Kafka (also used to drain a canary's lane). */
  public RequestBacklog backlog() {
    return backlog;
  }

  /**
   * @param count the Plugin's bounds and its replicas.desired-based count
   * @param pods its pods as they are (the reconciler's view)
   */
  public Scaling evaluate(Plugin plugin, ReplicaCount count, List<Pod> pods) {
    Instant now = clock.instant();
    String ns = plugin.getMetadata().getNamespace();
    String name = plugin.getMetadata().getName();
    Autoscaling spec = plugin.getSpec().getAutoscaling();
    AutoscalingMode mode =
        spec == null || spec.getMode() == null ? AutoscalingMode.Off : spec.getMode();
    boolean autoscaled =
        mode == AutoscalingMode.Qps
            || mode == AutoscalingMode.Lag
            || mode == AutoscalingMode.QpsAndLag;
    PluginStatus status = plugin.getStatus();

    List<Pod> live =
        pods.stream().filter(p -> !PodState.isTerminating(p) && !PodState.isFinished(p)).toList();
    int ready = (int) live.stream().filter(PodState::isReady).count();
    int current =
        status != null && status.getDesiredReplicas() != null
            ? status.getDesiredReplicas()
            : live.isEmpty() ? count.desired() : live.size();

    Optional<PluginStats> stats = telemetry.plugin(ns, name);
    // Kafka tells what waits (lag modes, waking a plug-in at zero) and the partition cap.
    Optional<Backlog> waiting = autoscaled ? backlog.of(plugin) : Optional.empty();

    Integer targetQps = spec == null ? null : spec.getTargetQpsPerReplica();
    Integer targetLag = spec == null ? null : spec.getTargetLagPerReplica();
    Duration stabilization =
        Duration.ofSeconds(
            spec == null || spec.getScaleDownStabilizationSeconds() == null
                ? 300
                : spec.getScaleDownStabilizationSeconds());
    ScaleHistory history = histories.computeIfAbsent(key(plugin), k -> new ScaleHistory(now));
    ScaleRequest request =
        new ScaleRequest(
            mode,
            count.min(),
            count.max(),
            plugin.getSpec().getReplicas() == null
                ? null
                : plugin.getSpec().getReplicas().getDesired(),
            targetQps,
            targetLag,
            stabilization,
            current,
            ready,
            stats,
            waiting.map(b -> OptionalLong.of(b.waiting())).orElse(OptionalLong.empty()),
            waiting
                .filter(b -> b.partitions() > 0)
                .map(b -> OptionalInt.of(b.partitions()))
                .orElse(OptionalInt.empty()),
            telemetry.staleAfter(),
            now);
    ScaleDecision decision = Autoscaler.decide(request, history);
    int desired = autoscaled ? decision.desired() : count.desired();

    String lastScaleTime = status == null ? null : status.getLastScaleTime();
    if (status != null
        && status.getDesiredReplicas() != null
        && status.getDesiredReplicas() != desired) {
      lastScaleTime = timestamp(now);
    }

    long lag = waiting.map(Backlog::waiting).orElse(stats.map(s -> s.total().lag()).orElse(-1L));
    StatusFigures figures = figures(plugin, stats, lag, now);
    metrics.record(ns, name, desired, ready, lag, stats.orElse(null));

    // Telemetry wakes no reconcile: a plug-in with pods looks again so its status figures follow,
    // also when its first reports were not in yet (a just-Ready plug-in would otherwise wait for
    // the next unrelated event to show any).
    Duration recheck =
        autoscaled ? syncPeriod : stats.isPresent() || !live.isEmpty() ? statusInterval : null;
    return new Scaling(
        desired, condition(plugin, decision.condition(), now), figures, lastScaleTime, recheck);
  }

  /**
   * The condition to write: a new status or reason at once, but a message that only restates moving
   * figures (qps, the age of a report) at most once per status-interval, so an autoscaled Plugin's
   * status is not rewritten on every evaluation.
   */
  private ScaleDecision.Verdict condition(
      Plugin plugin, ScaleDecision.Verdict verdict, Instant now) {
    if (verdict == null) {
      return null;
    }
    io.corebus.crds.Condition before =
        plugin.getStatus() == null
            ? null
            : plugin
                .getStatus()
                .condition(io.corebus.operator.status.PluginStatusAggregator.AUTOSCALING);
    String status = verdict.ok() ? io.corebus.crds.Condition.TRUE : io.corebus.crds.Condition.FALSE;
    if (before != null
        && status.equals(before.getStatus())
        && verdict.reason().equals(before.getReason())
        && !verdict.message().equals(before.getMessage())) {
      Instant written = messageWritten.get(key(plugin));
      if (written != null && now.isBefore(written.plus(statusInterval))) {
        return new ScaleDecision.Verdict(verdict.ok(), verdict.reason(), before.getMessage());
      }
    }
    if (before == null || !verdict.message().equals(before.getMessage())) {
      messageWritten.put(key(plugin), now);
    }
    return verdict;
  }

  /** Drops what is kept about a deleted Plugin. */
  public void forget(Plugin plugin) {
    histories.remove(key(plugin));
    figuresWritten.remove(key(plugin));
    messageWritten.remove(key(plugin));
    metrics.forget(plugin.getMetadata().getNamespace(), plugin.getMetadata().getName());
    telemetry.forget(plugin.getMetadata().getNamespace(), plugin.getMetadata().getName());
  }

  /**
   * The figures for status: rounded (3 significant digits), and changed at most once per
   * status-interval, so a busy plug-in's status is not rewritten every few seconds.
   */
  private StatusFigures figures(Plugin plugin, Optional<PluginStats> stats, long lag, Instant now) {
    StatusFigures previous = StatusFigures.of(plugin.getStatus());
    StatusFigures next =
        stats
            .map(
                s ->
                    new StatusFigures(
                        round(s.total().qps()),
                        lag < 0 ? null : lag,
                        s.total().p99Millis().isPresent()
                                && Double.isFinite(s.total().p99Millis().getAsDouble())
                            ? round(s.total().p99Millis().getAsDouble())
                            : null,
                        round(s.total().errorRate())))
            .orElse(new StatusFigures(null, lag < 0 ? null : lag, null, null));
    if (Objects.equals(next, previous)) {
      return previous;
    }
    Instant written = figuresWritten.get(key(plugin));
    if (written != null && now.isBefore(written.plus(statusInterval))) {
      return previous;
    }
    figuresWritten.put(key(plugin), now);
    return next;
  }

  static Double round(double v) {
    if (!Double.isFinite(v)) {
      return null;
    }
    if (v == 0) {
      return 0.0;
    }
    return new BigDecimal(v).round(new MathContext(3)).doubleValue();
  }

  private static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  private static String key(Plugin plugin) {
    String uid = plugin.getMetadata().getUid();
    return uid != null
        ? uid
        : plugin.getMetadata().getNamespace() + "/" + plugin.getMetadata().getName();
  }
}
