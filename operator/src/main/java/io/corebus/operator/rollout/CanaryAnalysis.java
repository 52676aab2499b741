package io.corebus.operator.rollout;

import io.corebus.crds.CanaryRollout;
import io.corebus.crds.CanaryStep;
import io.corebus.operator.telemetry.PluginStats.Figures;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Judges one step of a canary from the two versions' telemetry, with no I/O.
 *
 * <ul>
 *   <li>Bounds: the canary's error rate may exceed the stable's by at most {@code
 *       maxErrorRateIncreasePercent} percentage points, and its p99 may be at most {@code
 *       maxLatencyRatioPercent}% of the stable's. Without stable requests in the window (the stable
 *       gets no traffic at a 100 step once its figures age out) the error bound is taken against 0%
 *       and the latency bound is not checked.
 *   <li>Stale telemetry (no fresh report from a canary instance): {@link Decision#HOLD}, however
 *       long; a canary is never judged on figures nobody reports.
 *   <li>The error bound broken with at least {@code minRequests} canary requests in the window:
 *       {@link Decision#ROLLBACK} at once, without waiting for the window to end. The latency bound
 *       is judged only when the window is over: a new pod's first requests are slow (class loading,
 *       JIT, new connections), and under load that alone would break it at once; by the window's
 *       end the sliding telemetry window holds mostly warm requests.
 *   <li>Window not over: {@link Decision#HOLD}. Over: the step is judged on what there is, even
 *       with fewer than {@code minRequests} canary requests (with none, nothing was seen to be
 *       worse and the step passes); passing advances to the next step, or promotes after the last
 *       one.
 * </ul>
 */
public final class CanaryAnalysis {
  private CanaryAnalysis() {}

  /** Canary requests in the window below which a broken bound waits for the window's end. */
  public static final long MIN_REQUESTS = 20;

  public enum Decision {
    HOLD,
    ADVANCE,
    PROMOTE,
    ROLLBACK
  }

  /**
   * @param decision what to do
   * @param reason a one-word cause (Analysing, TelemetryStale, WithinBounds, ErrorRate, Latency)
   * @param message the figures compared, for status and Events
   */
  public record Verdict(Decision decision, String reason, String message) {}

  /**
   * @param step index into the spec's steps
   * @param stepStart when the step's weight took effect with a Ready canary pod
   * @param stable the stable version's figures, if any
   * @param canary the canary version's figures, if any
   * @param canaryFresh whether a canary instance reported recently
   */
  public static Verdict judge(
      CanaryRollout spec,
      int step,
      Instant stepStart,
      Optional<Figures> stable,
      Optional<Figures> canary,
      boolean canaryFresh,
      Instant now) {
    List<CanaryStep> steps = spec.getSteps();
    CanaryStep current = steps.get(Math.min(step, steps.size() - 1));
    Duration window = Duration.ofSeconds(orDefault(current.getAnalysisSeconds(), 60));
    boolean windowOver = !now.isBefore(stepStart.plus(window));
    boolean last = step >= steps.size() - 1;

    if (!canaryFresh || canary.isEmpty()) {
      return new Verdict(
          Decision.HOLD,
          "TelemetryStale",
          "no fresh telemetry from the new version; holding at "
              + current.getWeight()
              + "% until it reports");
    }
    Figures c = canary.get();
    Optional<Figures> base = stable.filter(s -> s.requests() > 0);
    double maxError =
        base.map(Figures::errorRate).orElse(0.0) * 100
            + orDefault(spec.getMaxErrorRateIncreasePercent(), 1);
    double canaryError = c.errorRate() * 100;
    String errorText =
        String.format(
            Locale.ROOT,
            "error rate %.2f%% vs stable %s (bound %.2f%%)",
            canaryError,
            base.map(s -> String.format(Locale.ROOT, "%.2f%%", s.errorRate() * 100)).orElse("n/a"),
            maxError);
    String latencyText = "p99 not compared";
    boolean latencyBroken = false;
    if (base.isPresent()
        && base.get().p99Millis().isPresent()
        && c.p99Millis().isPresent()
        && c.requests() > 0) {
      double limit =
          base.get().p99Millis().getAsDouble()
              * orDefault(spec.getMaxLatencyRatioPercent(), 150)
              / 100.0;
      double p99 = c.p99Millis().getAsDouble();
      latencyBroken = p99 > limit;
      latencyText =
          String.format(
              Locale.ROOT,
              "p99 %s ms vs stable %s ms (bound %s ms)",
              millis(p99),
              millis(base.get().p99Millis().getAsDouble()),
              millis(limit));
    }
    boolean errorBroken = c.requests() > 0 && canaryError > maxError;
    String figures =
        errorText + ", " + latencyText + ", " + c.requests() + " requests of the new version";
    boolean enough = c.requests() >= MIN_REQUESTS;

    if (errorBroken && (enough || windowOver)) {
      return new Verdict(
          Decision.ROLLBACK, "ErrorRate", "at " + current.getWeight() + "%: " + figures);
    }
    if (latencyBroken && windowOver) {
      return new Verdict(
          Decision.ROLLBACK, "Latency", "at " + current.getWeight() + "%: " + figures);
    }
    if (!windowOver) {
      long left = Duration.between(now, stepStart.plus(window)).toSeconds();
      return new Verdict(
          Decision.HOLD,
          "Analysing",
          "at " + current.getWeight() + "% for " + left + " more s: " + figures);
    }
    return new Verdict(
        last ? Decision.PROMOTE : Decision.ADVANCE,
        "WithinBounds",
        "at " + current.getWeight() + "%: " + figures);
  }

  private static String millis(double v) {
    return Double.isInfinite(v) ? "inf" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static int orDefault(Integer v, int d) {
    return v == null ? d : v;
  }
}
