package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CompletedCallsTest {

  @Test
  void aRetryGetsTheFirstExecutionsReplyEvenWhileItRuns() {
    CompletedCalls calls = new CompletedCalls(Duration.ofMinutes(5), 10);
    CompletableFuture<Reply> first = new CompletableFuture<>();

    assertThat(calls.claim("key-1", first)).as("first execution runs").isNull();
    CompletableFuture<Reply> retry = calls.claim("key-1", new CompletableFuture<>());
    assertThat(retry).isSameAs(first);
    assertThat(calls.claim("key-2", new CompletableFuture<>())).as("another call runs").isNull();
  }

  @Test
  void finishedEntriesExpireAfterTheWindow() {
    CompletedCalls calls = new CompletedCalls(Duration.ZERO, 10);
    CompletableFuture<Reply> done = CompletableFuture.completedFuture(Reply.ok(new byte[0]));
    calls.claim("old", done);

    assertThat(calls.claim("new", new CompletableFuture<>())).isNull();
    assertThat(calls.size()).isEqualTo(1);
  }
}
