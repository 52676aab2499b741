package io.corebus.runtime.host;

import java.time.Duration;

/**
 * When a hot swap whose jar could not be downloaded is tried again: the first retry (attempt 2)
 * after {@code base}, each later one after twice the previous delay, never after more than {@code
 * cap}.
 */
final class SwapBackoff {
  private final Duration base;
  private final Duration cap;

  SwapBackoff(Duration base, Duration cap) {
    if (base.isNegative() || base.isZero()) {
      throw new IllegalArgumentException("the swap retry base delay must be positive: " + base);
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "the swap retry cap " + cap + " is shorter than its base delay " + base);
    }
    this.base = base;
    this.cap = cap;
  }

  /** The delay before {@code attempt} (2 for the first retry: attempt 1 is the failed swap). */
  Duration delayBefore(int attempt) {
    if (attempt < 2) {
      throw new IllegalArgumentException("attempt 1 is not a retry: " + attempt);
    }
    int doublings = attempt - 2;
    // base * 2^doublings, without overflowing on a long run of failures
    if (doublings >= 62 || base.toMillis() > (cap.toMillis() >> doublings)) {
      return cap;
    }
    Duration delay = base.multipliedBy(1L << doublings);
    return delay.compareTo(cap) > 0 ? cap : delay;
  }

  /** A delay the way people write it: {@code 200ms}, {@code 10s}, {@code 5m}, {@code 90s}. */
  static String format(Duration d) {
    long millis = d.toMillis();
    if (millis % 1000 != 0) {
      return millis + "ms";
    }
    long seconds = millis / 1000;
    return seconds >= 60 && seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
  }
}
