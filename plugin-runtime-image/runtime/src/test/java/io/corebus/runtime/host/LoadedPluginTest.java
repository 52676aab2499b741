package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Retiring a version in a hot swap: no record slips in, and the drain ends with the last one. */
class LoadedPluginTest {
  final LoadedPlugin version = new LoadedPlugin(null, null, null, null, null, null, null, null);

  @Test
  void theDrainEndsWhenTheLastRecordCountedInBeforeRetirementIsDone() throws Exception {
    assertThat(version.enter()).isTrue();
    assertThat(version.enter()).isTrue();
    version.retire();
    assertThat(version.enter()).as("a retired version takes no new record").isFalse();
    assertThat(version.inFlight()).isEqualTo(2);

    assertThat(version.awaitIdle(Duration.ofMillis(50))).as("two records still run").isFalse();
    version.exit();
    assertThat(version.awaitIdle(Duration.ofMillis(50))).as("one record still runs").isFalse();

    CompletableFuture<Boolean> drained =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return version.awaitIdle(Duration.ofSeconds(30));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(version::exit);
    long started = System.nanoTime();
    assertThat(drained.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .as("woken by the last record, not by the 30 s deadline")
        .isLessThan(Duration.ofSeconds(5));
    assertThat(version.inFlight()).isZero();
  }

  @Test
  void anIdleVersionIsDrainedAtOnce() throws Exception {
    assertThat(version.enter()).isTrue();
    version.exit();
    version.retire();
    assertThat(version.awaitIdle(Duration.ZERO)).isTrue();
  }

  @Test
  void handleCountsTheRecordOutWhenItsWorkCompletes() throws Exception {
    assertThat(version.enter()).isTrue();
    CompletableFuture<String> work = new CompletableFuture<>();
    version.handle(v -> work);
    version.retire();
    assertThat(version.awaitIdle(Duration.ofMillis(20))).isFalse();
    work.complete("done");
    assertThat(version.awaitIdle(Duration.ofSeconds(5))).isTrue();
  }
}
