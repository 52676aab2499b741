package io.corebus.operator.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits 100 between versions in proportion to their Ready pods (requests are load-balanced over
 * the Ready consumers of a plug-in, so that is each version's share). Largest remainder, so the
 * weights always add up to 100 when any pod is Ready.
 */
public final class VersionWeights {
  private VersionWeights() {}

  /** Weights in the order of {@code readyPods}; all 0 when no pod is Ready. */
  public static List<Integer> split(List<Integer> readyPods) {
    int total = readyPods.stream().mapToInt(Integer::intValue).sum();
    List<Integer> weights = new ArrayList<>();
    if (total == 0) {
      readyPods.forEach(r -> weights.add(0));
      return weights;
    }
    int assigned = 0;
    List<double[]> remainders = new ArrayList<>();
    for (int i = 0; i < readyPods.size(); i++) {
      double exact = 100.0 * readyPods.get(i) / total;
      int floor = (int) Math.floor(exact);
      weights.add(floor);
      assigned += floor;
      remainders.add(new double[] {exact - floor, i});
    }
    remainders.sort(Comparator.comparingDouble((double[] r) -> r[0]).reversed());
    for (int k = 0; k < 100 - assigned; k++) {
      int i = (int) remainders.get(k % remainders.size())[1];
      weights.set(i, weights.get(i) + 1);
    }
    return weights;
  }
}
