package io.corebus.runtime.bus;

import io.corebus.bus.protocol.TelemetryReport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** Counts of the current telemetry window; {@link #drain} hands them over and starts a new one. */
public final class TelemetryWindow {
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLongArray latency =
      new AtomicLongArray(TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1);

  void requestHandled(int code, long nanos) {
    requests.incrementAndGet();
    if (TelemetryReport.isServerFault(code)) {
      errors.incrementAndGet();
    }
    latency.incrementAndGet(TelemetryReport.bucketOf(nanos / 1_000_000.0));
  }

  void eventHandled() {
    events.incrementAndGet();
  }

  void deadLettered() {
    deadLetters.incrementAndGet();
  }

  /** The window's counts: requests, errors, events, dead letters, then the latency buckets. */
  public Counts drain() {
    long[] buckets = new long[latency.length()];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = latency.getAndSet(i, 0);
    }
    return new Counts(
        requests.getAndSet(0),
        errors.getAndSet(0),
        events.getAndSet(0),
        deadLetters.getAndSet(0),
        buckets);
  }

  public record Counts(long requests, long errors, long events, long deadLetters, long[] latency) {}
}
