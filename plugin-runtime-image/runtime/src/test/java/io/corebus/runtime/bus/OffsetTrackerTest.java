package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

  @Test
  void commitsOnlyPastRecordsThatAllFinishedEvenWhenTheyFinishOutOfOrder() {
    OffsetTracker t = new OffsetTracker();
    t.started(10);
    t.started(11);
    t.started(12);

    t.finished(12);
    assertThat(t.toCommit()).as("10 and 11 still run").isEqualTo(-1);
    assertThat(t.inFlight()).isEqualTo(2);

    t.finished(10);
    assertThat(t.toCommit()).isEqualTo(11);

    t.committed(11);
    assertThat(t.toCommit()).as("nothing new").isEqualTo(-1);

    t.finished(11);
    assertThat(t.toCommit()).isEqualTo(13);
    assertThat(t.inFlight()).isZero();
  }
}
