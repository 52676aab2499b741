package io.corebus.benchmarks;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * {@code concurrency} callers that each send their next request as soon as the previous one is
 * answered: the throughput the callee sustains with that many calls in flight.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  record Result(
      String path, int concurrency, double perSecond, long errors, LatencyResult latency) {}

  static Result run(
      String path,
      int concurrency,
      Duration warmup,
      Duration duration,
      Supplier<CompletionStage<?>> issue,
      Executor executor)
      throws InterruptedException {
    Loop loop = new Loop(issue, executor);
    for (int i = 0; i < concurrency; i++) {
      loop.next();
    }
    Thread.sleep(warmup.toMillis());
    loop.measuring = true;
    long start = System.nanoTime();
    Thread.sleep(duration.toMillis());
    loop.measuring = false;
    long elapsed = System.nanoTime() - start;
    long done = loop.completed.get();
    loop.running = false;
    return new Result(
        path,
        concurrency,
        done * 1e9 / elapsed,
        loop.errors.get(),
        LatencyResult.of(path, loop.histogram, loop.errors.get()));
  }

  private static final class Loop {
    final Supplier<CompletionStage<?>> issue;
    final Executor executor;
    final AtomicLong completed = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final Histogram histogram = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(5), 3);
    volatile boolean measuring;
    volatile boolean running = true;

    Loop(Supplier<CompletionStage<?>> issue, Executor executor) {
      this.issue = issue;
      this.executor = executor;
    }

    void next() {
      if (!running) {
        return;
      }
      long sent = System.nanoTime();
      CompletionStage<?> call;
      try {
        call = issue.get();
      } catch (RuntimeException e) {
        errors.incrementAndGet();
        executor.execute(this::next);
        return;
      }
      // Async: a call that fails at once must not recurse on this stack.
      call.whenCompleteAsync(
          (r, e) -> {
            if (measuring) {
              if (e == null) {
                completed.incrementAndGet();
                histogram.recordValue(
                    Math.min(
                        histogram.getHighestTrackableValue(),
                        TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - sent)));
              } else {
                errors.incrementAndGet();
              }
            }
            next();
          },
          executor);
    }
  }
}
