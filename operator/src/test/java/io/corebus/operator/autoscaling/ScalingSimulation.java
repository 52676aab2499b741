package io.corebus.operator.autoscaling;

import io.corebus.crds.AutoscalingMode;
import io.corebus.operator.telemetry.PluginStats;
import io.corebus.operator.telemetry.PluginStats.Figures;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.IntToDoubleFunction;

/**
 * Replays one load trace, second by second, through three scalers and prints them side by side
 * (docs/benchmarks.md): Corebus' own {@link Autoscaler} (the real class, evaluated every 5 s on the
 * telemetry's 30 s sliding window), a simulation of the Kubernetes HPA's default rules (15 s sync
 * period, 10 % tolerance, scale-up at most max(100 %, 4 pods) per 15 s, 300 s scale-down
 * stabilization) and of KEDA (a 30 s polling interval feeding the same HPA rules). All three see
 * the same metric, the offered qps averaged over the last 30 s, target 100 qps per pod, and the
 * same cold start (decision to a serving pod). Not a test: {@link #main} prints the figures;
 * ScalingSimulationTest checks that it still runs and what it shows.
 */
public final class ScalingSimulation {

  static final int TARGET = 100;
  static final int STABILIZATION = 300;
  static final int WINDOW = 30;

  /** A scaler evaluated once a second; returns the desired pod count. */
  interface Scaler {
    String name();

    int decide(int second, double windowQps, int current, int serving);
  }

  /** Corebus: the real Autoscaler, every 5 s. */
  static final class Corebus implements Scaler {
    private final ScaleHistory history = new ScaleHistory(Instant.EPOCH.minusSeconds(3600));
    private int desired = 1;

    @Override
    public String name() {
      return "Corebus (Qps, 5 s sync, 30 s window)";
    }

    @Override
    public int decide(int second, double windowQps, int current, int serving) {
      if (second % 5 != 0) {
        return desired;
      }
      Instant now = Instant.EPOCH.plusSeconds(second);
      Figures f =
          new Figures(
              windowQps,
              0,
              OptionalDouble.of(5),
              0,
              0,
              (long) (windowQps * WINDOW),
              0,
              WINDOW,
              serving,
              0);
      Map<String, PluginStats.Instance> instances = new java.util.HashMap<>();
      for (int i = 0; i < serving; i++) {
        instances.put("p-" + i, new PluginStats.Instance("1", "r", now, true, 0, 0));
      }
      PluginStats stats =
          new PluginStats(
              "sim", "p", now, f, Map.of("1", f), Map.of("r1", f), instances, now.minusSeconds(1));
      ScaleRequest r =
          new ScaleRequest(
              AutoscalingMode.Qps,
              1,
              20,
              null,
              TARGET,
              null,
              Duration.ofSeconds(STABILIZATION),
              current,
              serving,
              Optional.of(stats),
              OptionalLong.of(0),
              OptionalInt.empty(),
              Duration.ofSeconds(10),
              now);
      desired = Autoscaler.decide(r, history).desired();
      return desired;
    }
  }

  /**
   * The HPA's default behaviour for an AverageValue metric: every {@code sync} s, desired =
   * ceil(metric / target) unless within 10 % of the current count; up by at most max(double, +4)
   * per 15 s; down only to the highest recommendation of the last 300 s. The metric is sampled
   * every {@code metricRefresh} s (KEDA's polling interval; the HPA's own sync for plain HPA).
   */
  static final class Hpa implements Scaler {
    private final String name;
    private final int sync;
    private final int metricRefresh;
    private final Deque<int[]> recommendations = new ArrayDeque<>();
    private double metric;
    private int desired = 1;

    Hpa(String name, int sync, int metricRefresh) {
      this.name = name;
      this.sync = sync;
      this.metricRefresh = metricRefresh;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int decide(int second, double windowQps, int current, int serving) {
      if (second % metricRefresh == 0) {
        metric = windowQps;
      }
      if (second % sync != 0) {
        return desired;
      }
      double ratio = metric / ((double) TARGET * Math.max(1, current));
      int recommendation =
          Math.abs(ratio - 1) <= 0.1 ? current : (int) Math.ceil(metric / TARGET - 1e-9);
      recommendation = Math.max(1, Math.min(20, recommendation));
      recommendations.addLast(new int[] {second, recommendation});
      while (recommendations.peekFirst()[0] < second - STABILIZATION) {
        recommendations.removeFirst();
      }
      int next;
      if (recommendation > current) {
        next = Math.min(recommendation, Math.max(2 * current, current + 4));
      } else {
        int highest = recommendations.stream().mapToInt(r -> r[1]).max().orElse(recommendation);
        next = Math.min(current, highest);
      }
      desired = next;
      return desired;
    }
  }

  /** What one scaler did on the trace. */
  record Run(
      String scaler,
      int firstDecision,
      int fullDecision,
      int fullServing,
      int underProvisionedSeconds,
      long podSeconds,
      int scaleEvents,
      int scaleDownAfterStep) {}

  /**
   * @param load offered qps at each second
   * @param stepAt the second of the load step (-1: none)
   * @param stepTo the pod count the step needs
   * @param stepEnd the second the load drops back (-1: none)
   */
  static Run run(
      Scaler scaler,
      int seconds,
      IntToDoubleFunction load,
      int coldStart,
      int stepAt,
      int stepTo,
      int stepEnd) {
    List<Integer> readyAt = new ArrayList<>(List.of(-coldStart)); // one pod serving from start
    double[] window = new double[WINDOW];
    int current = 1;
    int firstDecision = -1;
    int fullDecision = -1;
    int fullServing = -1;
    int under = 0;
    long podSeconds = 0;
    int events = 0;
    int downAfterStep = -1;
    for (int t = 0; t < seconds; t++) {
      double qps = load.applyAsDouble(t);
      window[t % WINDOW] = qps;
      int filled = Math.min(t + 1, WINDOW);
      double avg = 0;
      for (int i = 0; i < filled; i++) {
        avg += window[i];
      }
      avg /= filled;
      final int now = t;
      int serving = (int) readyAt.stream().filter(r -> r <= now).count();
      int desired = scaler.decide(t, avg, current, serving);
      if (desired != current) {
        events++;
        if (desired > current) {
          for (int i = current; i < desired; i++) {
            readyAt.add(t + coldStart);
          }
        } else {
          readyAt.sort(null);
          while (readyAt.size() > desired) {
            readyAt.remove(readyAt.size() - 1);
          }
          if (stepEnd >= 0 && t >= stepEnd && downAfterStep < 0) {
            downAfterStep = t - stepEnd;
          }
        }
        current = desired;
      }
      serving = (int) readyAt.stream().filter(r -> r <= now).count();
      if (stepAt >= 0 && t >= stepAt) {
        if (firstDecision < 0 && current > 1) {
          firstDecision = t - stepAt;
        }
        if (fullDecision < 0 && current >= stepTo) {
          fullDecision = t - stepAt;
        }
        if (fullServing < 0 && serving >= stepTo) {
          fullServing = t - stepAt;
        }
      }
      if (serving < Math.ceil(qps / TARGET - 1e-9)) {
        under++;
      }
      podSeconds += current;
    }
    return new Run(
        scaler.name(),
        firstDecision,
        fullDecision,
        fullServing,
        under,
        podSeconds,
        events,
        downAfterStep);
  }

  static List<Scaler> scalers() {
    return List.of(
        new Corebus(),
        new Hpa("Kubernetes HPA (15 s sync, 300 s down-stabilization)", 15, 15),
        new Hpa("KEDA (30 s polling, its HPA as above)", 15, 30));
  }

  /** 100 qps, then 400 qps (4x) at {@code at} for 10 minutes, then 100 qps again. */
  static IntToDoubleFunction step(int at) {
    return t -> t >= at && t < at + 600 ? 400 : 100;
  }

  /** 60 s at 400 qps, 60 s at 100 qps, repeated. */
  static IntToDoubleFunction squareWave() {
    return t -> (t / 60) % 2 == 0 ? 400 : 100;
  }

  /**
   * The step at each of 30 phases relative to the scalers' loops (t = 120 ... 149 s), each scaler
   * fresh each time; the figures are the means over the phases (times rounded to a second).
   */
  static List<Run> stepRuns(int coldStart) {
    List<Run> out = new ArrayList<>();
    for (int k = 0; k < scalers().size(); k++) {
      List<Run> phases = new ArrayList<>();
      for (int phase = 0; phase < 30; phase++) {
        int at = 120 + phase;
        phases.add(run(scalers().get(k), 1500, step(at), coldStart, at, 4, at + 600));
      }
      out.add(
          new Run(
              phases.get(0).scaler(),
              mean(phases, Run::firstDecision),
              mean(phases, Run::fullDecision),
              mean(phases, Run::fullServing),
              mean(phases, Run::underProvisionedSeconds),
              Math.round(phases.stream().mapToLong(Run::podSeconds).average().orElse(0)),
              mean(phases, Run::scaleEvents),
              mean(phases, Run::scaleDownAfterStep)));
    }
    return out;
  }

  private static int mean(List<Run> runs, java.util.function.ToIntFunction<Run> f) {
    return (int) Math.round(runs.stream().mapToInt(f).average().orElse(0));
  }

  static List<Run> squareRuns(int coldStart) {
    return scalers().stream().map(s -> run(s, 1800, squareWave(), coldStart, -1, 0, -1)).toList();
  }

  public static void main(String[] args) {
    int coldStart = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    System.out.printf(
        Locale.ROOT,
        "4x load step (100 -> 400 qps for 10 minutes), target 100 qps/pod, cold start %d s;"
            + " means over 30 phases of the step against the scalers' loops%n%n",
        coldStart);
    System.out.println(
        "| scaler | first scale-up decision | decision for all 4 pods | 4 pods serving |"
            + " under-provisioned s | scale-down after the drop | pod-seconds | scale events |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Run r : stepRuns(coldStart)) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %d s | %d s | %d s | %d | %d s | %d | %d |%n",
          r.scaler(),
          r.firstDecision(),
          r.fullDecision(),
          r.fullServing(),
          r.underProvisionedSeconds(),
          r.scaleDownAfterStep(),
          r.podSeconds(),
          r.scaleEvents());
    }
    System.out.printf(
        Locale.ROOT,
        "%nSquare wave (60 s at 400 qps, 60 s at 100 qps) for 30 minutes, cold start %d s%n%n",
        coldStart);
    System.out.println("| scaler | scale events | under-provisioned s | pod-seconds |");
    System.out.println("|---|---|---|---|");
    for (Run r : squareRuns(coldStart)) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %d | %d | %d |%n",
          r.scaler(),
          r.scaleEvents(),
          r.underProvisionedSeconds(),
          r.podSeconds());
    }
  }
}
