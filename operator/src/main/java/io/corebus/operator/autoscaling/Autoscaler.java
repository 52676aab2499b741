package io.corebus.operator.autoscaling;

import io.corebus.crds.AutoscalingMode;
import io.corebus.operator.autoscaling.ScaleDecision.Verdict;
import io.corebus.operator.telemetry.PluginStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The scaling rules, with no I/O: from a {@link ScaleRequest} and the plug-in's {@link
 * ScaleHistory}, the pod count to run now.
 *
 * <ul>
 *   <li><b>Off</b>: replicas.desired (else min), within [min, max]. <b>External</b>: the same; an
 *       HPA or KEDA sets replicas.desired through the scale subresource.
 *   <li><b>Qps</b>: ceil(qps / targetQpsPerReplica). <b>Lag</b>: ceil(waiting requests /
 *       targetLagPerReplica), as KEDA's Kafka scaler does, with the waiting requests read from
 *       Kafka (end offsets minus the group's committed offsets; works with no pod at all), else as
 *       the runtimes report them. <b>QpsAndLag</b>: the larger of the two.
 *   <li>Within [min, max]; at most the request topic's partitions (more consumers than partitions
 *       would idle), but never below min.
 *   <li>Scale-up at once. Scale-down only to the highest recommendation of the last
 *       scaleDownStabilizationSeconds (the HPA's rule), so a load that goes up and down faster than
 *       the window keeps the higher count: no flapping.
 *   <li>No scale-in on figures that cannot be trusted: when Ready pods send no telemetry, when it
 *       is stale, when some Ready pods are missing from it, or when the lag is unknown in a lag
 *       mode. The Autoscaling condition is False and says why; scale-up still happens.
 *   <li>Scale to zero when min is 0 and the plug-in is idle (no request or event handled in the
 *       window, none waiting on its request or event topics, none in flight), after the
 *       stabilization window; back from zero as soon as a request waits on its topic.
 * </ul>
 */
public final class Autoscaler {
  private Autoscaler() {}

  public static final String WITHIN_TARGET = "WithinTarget";
  public static final String SCALE_DOWN_STABILIZING = "ScaleDownStabilizing";
  public static final String LIMITED_BY_MAX = "LimitedByMax";
  public static final String LIMITED_BY_PARTITIONS = "LimitedByPartitions";
  public static final String SCALED_TO_ZERO = "ScaledToZero";
  public static final String TELEMETRY_MISSING = "TelemetryMissing";
  public static final String TELEMETRY_STALE = "TelemetryStale";
  public static final String LAG_UNKNOWN = "LagUnknown";
  public static final String EXTERNAL_SCALER = "ExternalScaler";

  /** A relative slack so that 200.0000001 qps at a target of 100 is 2 replicas, not 3. */
  private static final double EPSILON = 1e-9;

  public static ScaleDecision decide(ScaleRequest r, ScaleHistory history) {
    int min = Math.max(0, r.min());
    int max = Math.max(min, r.max());
    AutoscalingMode mode = r.mode() == null ? AutoscalingMode.Off : r.mode();
    if (mode == AutoscalingMode.Off || mode == AutoscalingMode.External) {
      int requested = r.requested() == null ? min : r.requested();
      int n = clamp(requested, min, max);
      if (mode == AutoscalingMode.Off) {
        return new ScaleDecision(n, n, null);
      }
      String message =
          "replicas.desired is set by an HPA or KEDA through the scale subresource: "
              + n
              + " pod(s)"
              + (r.requested() != null && r.requested() != n
                  ? " (" + r.requested() + " asked, within min " + min + " and max " + max + ")"
                  : "");
      return new ScaleDecision(n, n, new Verdict(true, EXTERNAL_SCALER, message));
    }

    Instant now = r.now();
    int current = clamp(r.current(), min, max);
    boolean usesQps = mode == AutoscalingMode.Qps || mode == AutoscalingMode.QpsAndLag;
    boolean usesLag = mode == AutoscalingMode.Lag || mode == AutoscalingMode.QpsAndLag;

    // Can the figures be trusted to scale in?
    String problem = null;
    String problemMessage = null;
    PluginStats stats = r.stats().orElse(null);
    if (r.readyReplicas() > 0) {
      if (stats == null) {
        problem = TELEMETRY_MISSING;
        problemMessage = "no telemetry from the plug-in's " + r.readyReplicas() + " Ready pod(s)";
      } else if (stats.lastReport().isBefore(now.minus(r.staleAfter()))) {
        problem = TELEMETRY_STALE;
        problemMessage =
            "the last telemetry report is "
                + Duration.between(stats.lastReport(), now).toSeconds()
                + " s old (stale after "
                + r.staleAfter().toSeconds()
                + " s)";
      } else if (stats.freshInstances() < r.readyReplicas()) {
        problem = TELEMETRY_STALE;
        problemMessage =
            "only "
                + stats.freshInstances()
                + " of "
                + r.readyReplicas()
                + " Ready pods sent telemetry in the last "
                + r.staleAfter().toSeconds()
                + " s";
      }
    }
    boolean trusted = problem == null;

    // What the figures ask for; -1 = unknown.
    double qps = trusted && stats != null ? stats.total().qps() : 0;
    int byQps = -1;
    if (usesQps && r.targetQpsPerReplica() != null && r.targetQpsPerReplica() > 0) {
      byQps = trusted ? ceil(qps / r.targetQpsPerReplica()) : -1;
    }
    long lag = -1;
    if (r.waiting().isPresent()) {
      lag = r.waiting().getAsLong();
    } else if (trusted && stats != null && stats.total().lag() >= 0) {
      lag = stats.total().lag();
    } else if (trusted && r.readyReplicas() == 0 && !usesLag) {
      lag = 0; // Qps mode with nothing running: nothing known to wait (Kafka not read).
    }
    int byLag = -1;
    if (usesLag && r.targetLagPerReplica() != null && r.targetLagPerReplica() > 0) {
      byLag = lag < 0 ? -1 : ceil((double) lag / r.targetLagPerReplica());
      if (lag < 0 && trusted) {
        problem = LAG_UNKNOWN;
        problemMessage =
            "the requests waiting on the plug-in's request topic cannot be read from Kafka";
        trusted = false;
      }
    }
    long inFlight = trusted && stats != null ? stats.total().inFlight() : 0;
    long events = trusted && stats != null ? stats.total().events() : 0;
    int raw = Math.max(byQps, byLag);
    if (raw < 0) {
      raw = current; // nothing known: hold
    } else if (raw == 0 && (lag > 0 || inFlight > 0 || events > 0 || qps > 0)) {
      // Work waits, runs or ran in the window (events count too: a subscriber is not idle while
      // it handles them): at least one consumer. This is also the scale from zero.
      raw = 1;
    }

    int bounded = clamp(raw, min, max);
    boolean limitedByMax = raw > max;
    boolean limitedByPartitions = false;
    if (r.partitions().isPresent() && bounded > r.partitions().getAsInt()) {
      int capped = Math.max(min, r.partitions().getAsInt());
      limitedByPartitions = capped < bounded;
      bounded = capped;
    }
    int recommended = trusted ? bounded : Math.max(bounded, current);

    Instant windowStart = now.minus(r.stabilization());
    history.add(now, recommended);
    history.forgetBefore(windowStart);
    int desired;
    if (recommended >= current) {
      desired = recommended;
    } else {
      int highest = history.highestSince(windowStart).orElse(recommended);
      if (!history.covers(windowStart)) {
        highest = Math.max(highest, current);
      }
      desired = Math.min(current, Math.max(recommended, highest));
    }

    String figures = figures(usesQps, usesLag, qps, lag, r);
    Verdict verdict;
    if (!trusted) {
      verdict =
          new Verdict(
              false,
              problem,
              problemMessage
                  + "; no scale-in until it is back"
                  + (desired > r.current() ? " (scaled up to " + desired + ")" : "")
                  + "; "
                  + desired
                  + " pod(s)");
    } else if (limitedByPartitions) {
      verdict =
          new Verdict(
              true,
              LIMITED_BY_PARTITIONS,
              figures
                  + " ask for "
                  + Math.min(raw, max)
                  + " pod(s); capped at "
                  + desired
                  + " by the "
                  + r.partitions().getAsInt()
                  + " partition(s) of the request topic (more consumers would idle)");
    } else if (limitedByMax) {
      verdict =
          new Verdict(
              true,
              LIMITED_BY_MAX,
              figures + " ask for " + raw + " pod(s); limited to replicas.max " + max);
    } else if (desired > recommended) {
      verdict =
          new Verdict(
              true,
              SCALE_DOWN_STABILIZING,
              figures
                  + " ask for "
                  + recommended
                  + " pod(s); keeping "
                  + desired
                  + " until the higher recommendations of the last "
                  + r.stabilization().toSeconds()
                  + " s expire");
    } else if (desired == 0) {
      verdict =
          new Verdict(
              true,
              SCALED_TO_ZERO,
              "idle: no request in the window and none waiting; scaled to zero (min is 0),"
                  + " back up when a request waits on its topic");
    } else {
      verdict = new Verdict(true, WITHIN_TARGET, figures + ": " + desired + " pod(s)");
    }
    return new ScaleDecision(desired, recommended, verdict);
  }

  private static String figures(
      boolean usesQps, boolean usesLag, double qps, long lag, ScaleRequest r) {
    StringBuilder b = new StringBuilder();
    if (usesQps) {
      b.append(String.format(Locale.ROOT, "%.1f qps", qps))
          .append(" (target ")
          .append(r.targetQpsPerReplica())
          .append(" per pod)");
    }
    if (usesLag) {
      if (b.length() > 0) {
        b.append(" and ");
      }
      b.append(lag < 0 ? "unknown" : Long.toString(lag))
          .append(" waiting (target ")
          .append(r.targetLagPerReplica())
          .append(" per pod)");
    }
    return b.toString();
  }

  private static int ceil(double x) {
    double c = Math.ceil(x - EPSILON * Math.max(1, Math.abs(x)));
    return c >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) Math.max(0, c);
  }

  private static int clamp(int n, int min, int max) {
    return Math.min(max, Math.max(min, n));
  }
}
