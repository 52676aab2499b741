package io.corebus.operator.bus;

import java.time.Duration;

/** Kafka cannot be used right now; {@link #retryAfter} says when to try again. */
public final class KafkaUnavailableException extends Exception {
  private final Duration retryAfter;

  public KafkaUnavailableException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
