package io.corebus.operator.bus;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Whether the operator can reach Kafka, exported as the {@code corebus_kafka_up} gauge (1 after a
 * successful Admin call, 0 after a failed one or before the first contact) and the {@code
 * corebus_kafka_admin_errors_total} counter (by operation).
 *
 * <p>It is also the back-off gate while Kafka is down: after a failure, no Admin call is attempted
 * until the back-off (doubling from {@code initial} up to {@code max}) has passed, and then by one
 * caller only, so a dozen Plugins reconciling during an outage do not each wait for a timeout. The
 * others learn at once that Kafka is unavailable and when to look again.
 */
public final class KafkaAvailability {
  private static final Logger LOG = Logger.getLogger(KafkaAvailability.class);

  public static final String UP_METRIC = "corebus.kafka.up";
  public static final String ERRORS_METRIC = "corebus.kafka.admin.errors";

  private final MeterRegistry registry;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Clock clock;

  private boolean up;
  private int failures;
  private Instant nextAttempt = Instant.MIN;
  private String lastError = "Kafka has not been contacted yet";

  public KafkaAvailability(
      MeterRegistry registry, Duration initialBackoff, Duration maxBackoff, Clock clock) {
    this.registry = registry;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff.compareTo(initialBackoff) < 0 ? initialBackoff : maxBackoff;
    this.clock = clock;
    Gauge.builder(UP_METRIC, this, a -> a.isUp() ? 1 : 0)
        .description("1 when the operator's last Kafka Admin call succeeded, else 0")
        .register(registry);
  }

  public synchronized boolean isUp() {
    return up;
  }

  public synchronized String lastError() {
    return lastError;
  }

  /**
   * Whether the caller may call Kafka now. Empty: go ahead. Otherwise Kafka is known to be down and
   * the caller should come back after the returned delay.
   */
  public synchronized Optional<Duration> reserveAttempt() {
    Instant now = clock.instant();
    if (up || failures == 0 || !now.isBefore(nextAttempt)) {
      if (!up && failures > 0) {
        // This caller probes; the others keep waiting as if this attempt had failed already.
        nextAttempt = now.plus(backoff());
      }
      return Optional.empty();
    }
    return Optional.of(Duration.between(now, nextAttempt));
  }

  public synchronized void succeeded() {
    if (!up && failures > 0) {
      LOG.infof("Kafka answers again after %d failed attempt(s)", failures);
    }
    up = true;
    failures = 0;
    nextAttempt = Instant.MIN;
  }

  /** Records a failed call: Kafka is down until a call succeeds. Returns the back-off. */
  public synchronized Duration failed(String operation, String error) {
    Counter.builder(ERRORS_METRIC)
        .description("Kafka Admin calls of the operator that failed")
        .tag("operation", operation)
        .register(registry)
        .increment();
    if (failures == 0) {
      LOG.warnf("%s; retrying with back-off up to %s", error, maxBackoff);
    }
    up = false;
    failures++;
    lastError = error;
    Duration backoff = backoff();
    nextAttempt = clock.instant().plus(backoff);
    return backoff;
  }

  /** A per-topic error on a working connection: counted, but Kafka stays up. */
  public void topicError(String operation) {
    Counter.builder(ERRORS_METRIC)
        .description("Kafka Admin calls of the operator that failed")
        .tag("operation", operation)
        .register(registry)
        .increment();
  }

  /** The wait after the current number of consecutive failures. */
  private Duration backoff() {
    int doublings = Math.min(Math.max(failures - 1, 0), 20);
    Duration d = initialBackoff.multipliedBy(1L << doublings);
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }
}
