package io.corebus.operator.autoscaling;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;

/**
 * The autoscaler's recommendations for one plug-in over the scale-down stabilization window, like
 * the HPA's: scale-in goes only as low as the highest recommendation of the window. It lives in the
 * operator's memory; {@code since} says when the operator started watching, and until a whole
 * window has been watched the count in force counts as a recommendation too, so a restarted
 * operator never scales in earlier than the one before it would have.
 */
public final class ScaleHistory {
  private record Recommendation(Instant at, int replicas) {}

  private final Instant since;
  private final Deque<Recommendation> recommendations = new ArrayDeque<>();

  public ScaleHistory(Instant since) {
    this.since = since;
  }

  public Instant since() {
    return since;
  }

  synchronized void add(Instant at, int replicas) {
    recommendations.addLast(new Recommendation(at, replicas));
  }

  /** Drops recommendations made before {@code from}. */
  synchronized void forgetBefore(Instant from) {
    while (!recommendations.isEmpty() && recommendations.peekFirst().at().isBefore(from)) {
      recommendations.removeFirst();
    }
  }

  /** The highest recommendation made at or after {@code from}. */
  synchronized OptionalInt highestSince(Instant from) {
    return recommendations.stream()
        .filter(r -> !r.at().isBefore(from))
        .mapToInt(Recommendation::replicas)
        .max();
  }

  /** Whether the operator watched the whole time from {@code from} on. */
  boolean covers(Instant from) {
    return !since.isAfter(from);
  }

  synchronized int size() {
    return recommendations.size();
  }
}
