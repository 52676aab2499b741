package io.corebus.benchmarks;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Issues requests at a fixed rate whatever the responses do (open loop), and measures each from the
 * time it was meant to be sent, not from when it was sent: a stall of the sender or the system
 * counts against every request it delayed (no coordinated omission).
 */
final class OpenLoop {
  private OpenLoop() {}

  /**
   * @param issue sends request number {@code i} and completes when it is answered (exceptionally
   *     for an error)
   */
  static LatencyResult run(
      String path,
      int rate,
      Duration warmup,
      Duration duration,
      LongFunction<CompletionStage<?>> issue)
      throws InterruptedException {
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long warmupCount = warmup.toMillis() * rate / 1000;
    long total = warmupCount + duration.toMillis() * rate / 1000;
    Histogram histogram = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(5), 3);
    AtomicLong errors = new AtomicLong();
    CountDownLatch done = new CountDownLatch((int) total);
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
    for (long i = 0; i < total; i++) {
      long intended = start + i * interval;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      boolean measured = i >= warmupCount;
      CompletionStage<?> call;
      try {
        call = issue.apply(i);
      } catch (RuntimeException e) {
        if (measured) {
          errors.incrementAndGet();
        }
        done.countDown();
        continue;
      }
      call.whenComplete(
          (r, e) -> {
            if (measured) {
              if (e == null) {
                histogram.recordValue(
                    Math.min(
                        histogram.getHighestTrackableValue(),
                        TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - intended)));
              } else {
                errors.incrementAndGet();
              }
            }
            done.countDown();
          });
    }
    if (!done.await(60, TimeUnit.SECONDS)) {
      errors.addAndGet(done.getCount());
    }
    return LatencyResult.of(path, histogram, errors.get());
  }
}
