package io.corebus.benchmarks;

import java.util.List;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/** Latency figures of one run, in microseconds. */
record LatencyResult(
    String path, long count, long errors, double p50, double p99, double p999, double max) {

  static LatencyResult of(String path, Histogram h, long errors) {
    return new LatencyResult(
        path,
        h.getTotalCount(),
        errors,
        h.getValueAtPercentile(50),
        h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9),
        h.getMaxValue());
  }

  /** The median of each figure over several runs of one path. */
  static LatencyResult median(List<LatencyResult> runs) {
    return new LatencyResult(
        runs.get(0).path(),
        (long) median(runs, LatencyResult::count),
        (long) runs.stream().mapToLong(LatencyResult::errors).sum(),
        median(runs, LatencyResult::p50),
        median(runs, LatencyResult::p99),
        median(runs, LatencyResult::p999),
        median(runs, LatencyResult::max));
  }

  private static double median(List<LatencyResult> runs, ToDoubleFunction<LatencyResult> f) {
    double[] v = runs.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
