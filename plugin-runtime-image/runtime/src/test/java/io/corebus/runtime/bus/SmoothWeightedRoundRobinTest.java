package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmoothWeightedRoundRobinTest {

  private static int[] counts(SmoothWeightedRoundRobin p, int n, int choices) {
    int[] c = new int[choices];
    for (int i = 0; i < n; i++) {
      c[p.next()]++;
    }
    return c;
  }

  @Test
  void everyWindowOfTheWeightSumHoldsTheExactShares() {
    SmoothWeightedRoundRobin p = new SmoothWeightedRoundRobin(new int[] {90, 10});
    for (int window = 0; window < 5; window++) {
      assertThat(counts(p, 100, 2)).containsExactly(90, 10);
    }
    SmoothWeightedRoundRobin thirds = new SmoothWeightedRoundRobin(new int[] {34, 33, 33});
    assertThat(counts(thirds, 100, 3)).containsExactly(34, 33, 33);
  }

  @Test
  void aSmallShareIsSpreadOutNotBunched() {
    SmoothWeightedRoundRobin p = new SmoothWeightedRoundRobin(new int[] {80, 20});
    List<Integer> picks = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      picks.add(p.next());
    }
    // 2 of every 10 go to the second choice, never twice in a row.
    assertThat(Collections.frequency(picks, 1)).isEqualTo(2);
    for (int i = 1; i < picks.size(); i++) {
      assertThat(picks.get(i) == 1 && picks.get(i - 1) == 1).isFalse();
    }
  }

  @Test
  void zeroWeightsAreNeverPickedAndAllZeroPicksNothing() {
    SmoothWeightedRoundRobin p = new SmoothWeightedRoundRobin(new int[] {0, 100, 0});
    assertThat(counts(p, 50, 3)).containsExactly(0, 50, 0);
    assertThat(new SmoothWeightedRoundRobin(new int[] {0, 0}).next()).isEqualTo(-1);
    assertThat(new SmoothWeightedRoundRobin(new int[] {}).next()).isEqualTo(-1);
  }
}
