package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KafkaAvailabilityTest {

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    Instant now = Instant.parse("2024-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final TestClock clock = new TestClock();
  final KafkaAvailability kafka =
      new KafkaAvailability(registry, Duration.ofSeconds(1), Duration.ofSeconds(8), clock);

  double up() {
    return registry.get(KafkaAvailability.UP_METRIC).gauge().value();
  }

  double errors(String operation) {
    return registry
        .get(KafkaAvailability.ERRORS_METRIC)
        .tag("operation", operation)
        .counter()
        .count();
  }

  @Test
  void duringAnOutageOnlyOneCallerPerBackoffTriesAndTheBackoffDoublesUpToMax() {
    assertThat(up()).as("not contacted yet").isZero();
    assertThat(kafka.reserveAttempt()).isEmpty();
    assertThat(kafka.failed("ensure-topics", "boom")).isEqualTo(Duration.ofSeconds(1));
    assertThat(up()).isZero();
    assertThat(errors("ensure-topics")).isEqualTo(1);

    // Others learn at once that Kafka is down, and when to come back.
    assertThat(kafka.reserveAttempt()).contains(Duration.ofSeconds(1));
    assertThat(kafka.lastError()).isEqualTo("boom");

    clock.advance(Duration.ofSeconds(1));
    assertThat(kafka.reserveAttempt()).as("the probe").isEmpty();
    assertThat(kafka.reserveAttempt()).as("everyone else waits for it").isPresent();
    assertThat(kafka.failed("ensure-topics", "boom")).isEqualTo(Duration.ofSeconds(2));
    clock.advance(Duration.ofSeconds(2));
    assertThat(kafka.reserveAttempt()).isEmpty();
    assertThat(kafka.failed("ensure-topics", "boom")).isEqualTo(Duration.ofSeconds(4));
    clock.advance(Duration.ofSeconds(4));
    assertThat(kafka.reserveAttempt()).isEmpty();
    assertThat(kafka.failed("ensure-topics", "boom")).isEqualTo(Duration.ofSeconds(8));
    clock.advance(Duration.ofSeconds(8));
    assertThat(kafka.reserveAttempt()).isEmpty();
    assertThat(kafka.failed("ensure-topics", "boom")).as("capped").isEqualTo(Duration.ofSeconds(8));
    assertThat(errors("ensure-topics")).isEqualTo(5);
  }

  @Test
  void aSuccessEndsTheOutage() {
    kafka.failed("release-topics", "boom");
    clock.advance(Duration.ofSeconds(1));
    assertThat(kafka.reserveAttempt()).isEmpty();
    kafka.succeeded();
    assertThat(up()).isEqualTo(1);
    assertThat(kafka.reserveAttempt()).isEmpty();
    assertThat(kafka.reserveAttempt()).as("no gate while up").isEqualTo(Optional.empty());
  }

  @Test
  void aTopicErrorIsCountedButKafkaStaysUp() {
    kafka.succeeded();
    kafka.topicError("create-topic");
    assertThat(up()).isEqualTo(1);
    assertThat(errors("create-topic")).isEqualTo(1);
  }
}
