package io.corebus.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The benchmark still runs end to end (tiny load; the figures themselves are not checked). */
class BusBenchmarkIT {

  @Test
  void measuresEveryPathWithoutErrorsAndPrintsTheTables() throws Exception {
    BenchmarkOptions tiny =
        BenchmarkOptions.parse(
            new String[] {
              "--rate=50",
              "--warmup=1",
              "--duration=2",
              "--rounds=1",
              "--concurrency=4",
              "--throughput-duration=2"
            });
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    BusBenchmark.Report report =
        BusBenchmark.run(tiny, new PrintStream(printed, true, StandardCharsets.UTF_8));

    String out = printed.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(report.openLoop())
        .containsOnlyKeys(
            "raw Kafka one-way (floor)",
            "raw Kafka round trip",
            "RPC over the bus",
            "RPC direct gRPC (hybrid)");
    assertThat(report.openLoop().values())
        .allSatisfy(
            r -> {
              assertThat(r.count()).as(r.path()).isEqualTo(100);
              assertThat(r.errors()).as(r.path()).isZero();
              assertThat(r.p50()).as(r.path()).isPositive();
            });
    assertThat(report.throughput())
        .hasSize(2)
        .allSatisfy(
            r -> {
              assertThat(r.perSecond()).as(r.path()).isPositive();
              assertThat(r.errors()).as(r.path()).isZero();
            });
    assertThat(out).contains("| path | p50 | p99 |").contains("machine: ");
  }
}
