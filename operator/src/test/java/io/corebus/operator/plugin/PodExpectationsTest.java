package io.corebus.operator.plugin;

import static io.corebus.operator.testing.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodExpectationsTest {
  private static final String KEY = "ns/p";

  private static final class MovableClock extends Clock {
    Instant now = Instant.parse("2024-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  @Test
  void aDeletedPodStaysHiddenWhileTheCacheStillShowsIt() {
    PodExpectations e = new PodExpectations(new MovableClock());
    Pod old = pod("old", 0, true);
    e.deleted(KEY, old);
    assertThat(names(e.view(KEY, List.of(old, pod("new", 0, true))))).containsExactly("p-new-0");
    // Observed: gone from the cache. Later a pod with the same name (new uid) shows normally.
    assertThat(names(e.view(KEY, List.of(pod("new", 0, true))))).containsExactly("p-new-0");
    Pod again = pod("old", 0, true);
    again.getMetadata().setUid("another");
    assertThat(names(e.view(KEY, List.of(again)))).containsExactly("p-old-0");
  }

  @Test
  void aCreatedPodIsVisibleBeforeTheCacheShowsIt() {
    PodExpectations e = new PodExpectations(new MovableClock());
    Pod created = pod("new", 1, false);
    e.created(KEY, created);
    assertThat(names(e.view(KEY, List.of(pod("new", 0, true)))))
        .containsExactly("p-new-0", "p-new-1");
    Pod cached = pod("new", 1, true);
    assertThat(e.view(KEY, List.of(cached))).containsExactly(cached);
  }

  @Test
  void unobservedExpectationsExpire() {
    MovableClock clock = new MovableClock();
    PodExpectations e = new PodExpectations(clock);
    Pod old = pod("old", 0, true);
    e.deleted(KEY, old);
    e.created(KEY, pod("new", 0, false));
    clock.now = clock.now.plus(PodExpectations.EXPIRY).plusSeconds(1);
    assertThat(names(e.view(KEY, List.of(old)))).containsExactly("p-old-0");
  }

  @Test
  void aTerminatingPodCountsAsObservedDeletion() {
    PodExpectations e = new PodExpectations(new MovableClock());
    Pod old = pod("old", 0, true);
    e.deleted(KEY, old);
    Pod terminating = pod("old", 0, true);
    terminating.getMetadata().setDeletionTimestamp("2024-01-01T00:00:01Z");
    assertThat(e.view(KEY, List.of(terminating))).containsExactly(terminating);
  }
}
