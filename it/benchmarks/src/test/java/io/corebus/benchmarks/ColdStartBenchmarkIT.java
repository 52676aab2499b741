package io.corebus.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cold-start benchmark still runs end to end: two new Plugins, one after the other (the second
 * after the first's cleanup), each serving its first call. The figures are not checked beyond their
 * order.
 */
class ColdStartBenchmarkIT {

  @Test
  void twoNewPluginsServeAndTheirFiguresArePrinted() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    List<ColdStartBenchmark.Run> runs =
        ColdStartBenchmark.run(
            Path.of("../..").toAbsolutePath().normalize(),
            Path.of(System.getProperty("corebus.bench.plugin-jar")),
            2,
            new PrintStream(printed, true, StandardCharsets.UTF_8));

    String out = printed.toString(StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(runs).extracting(ColdStartBenchmark.Run::plugin).containsExactly("echo-1", "echo-2");
    assertThat(runs)
        .allSatisfy(
            r -> {
              assertThat(r.ready()).as("Ready after the process started").isGreaterThan(0);
              assertThat(r.runtimeStart()).isPositive();
              assertThat(r.firstCall()).as("first call after the apply").isPositive();
              assertThat(r.firstCall())
                  .as("a call needs the runtime's process")
                  .isGreaterThan(r.processStarted());
              assertThat(r.rssFirstCallMib()).isPositive();
            });
    assertThat(out).contains("**first successful call** (cold start)").contains("machine: ");
  }
}
