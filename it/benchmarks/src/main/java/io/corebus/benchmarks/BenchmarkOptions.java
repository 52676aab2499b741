package io.corebus.benchmarks;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The benchmark's knobs, as {@code --name=value} arguments.
 *
 * @param rate requests per second of the open-loop runs
 * @param warmup open-loop (and closed-loop) time before measuring, per run
 * @param duration measured open-loop time per run
 * @param rounds how many times each open-loop path runs, interleaved; medians are reported
 * @param concurrency callers in flight in the closed-loop throughput runs
 * @param throughputDuration measured time of each closed-loop run
 * @param payloadBytes size of the request (and raw record) payload
 */
record BenchmarkOptions(
    int rate,
    Duration warmup,
    Duration duration,
    int rounds,
    int concurrency,
    Duration throughputDuration,
    int payloadBytes,
    Path runtimeJar,
    Path pluginJar) {

  static final String USAGE =
      "options: --rate=200 --warmup=5 --duration=20 --rounds=3 --concurrency=64"
          + " --throughput-duration=15 --payload=32 (seconds for times)"
          + " --runtime-jar=<quarkus-run.jar> --plugin-jar=<test-plugin.jar>";

  static BenchmarkOptions parse(String[] args) {
    int rate = 200;
    int warmup = 5;
    int duration = 20;
    int rounds = 3;
    int concurrency = 64;
    int throughput = 15;
    int payload = 32;
    Path runtimeJar = defaultPath("corebus.bench.runtime-jar", "runtime");
    Path pluginJar = defaultPath("corebus.bench.plugin-jar", "plugin");
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0) {
        throw new IllegalArgumentException("unknown argument '" + arg + "'; " + USAGE);
      }
      String name = arg.substring(2, eq);
      String value = arg.substring(eq + 1);
      switch (name) {
        case "rate" -> rate = Integer.parseInt(value);
        case "warmup" -> warmup = Integer.parseInt(value);
        case "duration" -> duration = Integer.parseInt(value);
        case "rounds" -> rounds = Integer.parseInt(value);
        case "concurrency" -> concurrency = Integer.parseInt(value);
        case "throughput-duration" -> throughput = Integer.parseInt(value);
        case "payload" -> payload = Integer.parseInt(value);
        case "runtime-jar" -> runtimeJar = Path.of(value);
        case "plugin-jar" -> pluginJar = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option '" + name + "'; " + USAGE);
      }
    }
    return new BenchmarkOptions(
        rate,
        Duration.ofSeconds(warmup),
        Duration.ofSeconds(duration),
        rounds,
        concurrency,
        Duration.ofSeconds(throughput),
        payload,
        runtimeJar,
        pluginJar);
  }

  BenchmarkOptions {
    if (rate < 1 || rounds < 1 || concurrency < 1 || payloadBytes < 8) {
      throw new IllegalArgumentException("rate, rounds, concurrency >= 1 and payload >= 8");
    }
  }

  BenchmarkOptions withPaths(Path runtimeJar, Path pluginJar) {
    return new BenchmarkOptions(
        rate,
        warmup,
        duration,
        rounds,
        concurrency,
        throughputDuration,
        payloadBytes,
        runtimeJar,
        pluginJar);
  }

  void check() {
    for (Path p : new Path[] {runtimeJar, pluginJar}) {
      if (p == null || !Files.isRegularFile(p)) {
        throw new IllegalStateException(
            p
                + " is missing: build first with ./mvnw -B -ntp -pl it/benchmarks -am package"
                + " -DskipTests");
      }
    }
  }

  /** From a system property, else next to this jar in it/benchmarks/target. */
  private static Path defaultPath(String property, String which) {
    String set = System.getProperty(property);
    if (set != null) {
      return Path.of(set);
    }
    try {
      Path here =
          Path.of(
              BenchmarkOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path target = here.getParent(); // target/corebus-benchmarks.jar or target/classes
      return which.equals("plugin")
          ? target.resolve("bench-plugins/test-plugin.jar")
          : target
              .getParent()
              .resolve("../../plugin-runtime-image/runtime/target/quarkus-app/quarkus-run.jar")
              .normalize();
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }
}
