package io.corebus.runtime.bus;

/**
 * Picks among choices in proportion to integer weights, evenly spread: the smooth weighted
 * round-robin of nginx. With weights 90/10 every run of 10 picks holds exactly 9 of the first and 1
 * of the second, interleaved (not 9 in a row), and a weight of 0 is never picked. Deterministic,
 * unlike a weighted random pick, so a canary's share is exact per caller instance from the first
 * calls on instead of only on average.
 */
final class SmoothWeightedRoundRobin {
  private final int[] weights;
  private final long[] current;
  private final long total;

  SmoothWeightedRoundRobin(int[] weights) {
    this.weights = weights.clone();
    this.current = new long[weights.length];
    long sum = 0;
    for (int w : weights) {
      if (w < 0) {
        throw new IllegalArgumentException("negative weight " + w);
      }
      sum += w;
    }
    this.total = sum;
  }

  /** The index of the next choice, or -1 when every weight is 0. */
  synchronized int next() {
    if (total == 0) {
      return -1;
    }
    int best = -1;
    for (int i = 0; i < weights.length; i++) {
      current[i] += weights[i];
      if (weights[i] > 0 && (best < 0 || current[i] > current[best])) {
        best = i;
      }
    }
    current[best] -= total;
    return best;
  }
}
