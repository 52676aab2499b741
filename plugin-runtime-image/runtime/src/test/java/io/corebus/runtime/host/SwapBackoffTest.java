package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SwapBackoffTest {

  @Test
  void delaysDoubleFromTheBaseUpToTheCap() {
    SwapBackoff backoff = new SwapBackoff(Duration.ofSeconds(5), Duration.ofMinutes(5));

    assertThat(IntStream.rangeClosed(2, 10).mapToObj(backoff::delayBefore))
        .extracting(Duration::toSeconds)
        .containsExactly(5L, 10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L);
  }

  @Test
  void aLongRunOfFailuresStaysAtTheCap() {
    SwapBackoff backoff = new SwapBackoff(Duration.ofMillis(200), Duration.ofSeconds(2));

    assertThat(backoff.delayBefore(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delayBefore(5)).isEqualTo(Duration.ofMillis(1600));
    assertThat(backoff.delayBefore(6)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delayBefore(70)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delayBefore(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aCapBelowTheBaseOrANonPositiveBaseIsRefused() {
    assertThatThrownBy(() -> new SwapBackoff(Duration.ofSeconds(10), Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("shorter than its base delay");
    assertThatThrownBy(() -> new SwapBackoff(Duration.ZERO, Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be positive");
  }

  @Test
  void delaysAreWrittenTheWayPeopleWriteThem() {
    assertThat(SwapBackoff.format(Duration.ofMillis(200))).isEqualTo("200ms");
    assertThat(SwapBackoff.format(Duration.ofSeconds(10))).isEqualTo("10s");
    assertThat(SwapBackoff.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(SwapBackoff.format(Duration.ofMinutes(5))).isEqualTo("5m");
  }
}
