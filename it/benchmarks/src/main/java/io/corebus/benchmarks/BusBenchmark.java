package io.corebus.benchmarks;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.RouteTableWriter;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.DirectChannels;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.ReplySlot;
import io.corebus.runtime.bus.RouteTable;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The bus benchmark, on one Kafka broker (a child process) in one run:
 *
 * <ol>
 *   <li>raw Kafka one-way produce-to-consume latency and a raw round trip (ping, reflect, pong):
 *       the floor any Kafka RPC pays;
 *   <li>RPC over the bus: this JVM calls the Echo plug-in hosted by the packaged plugin runtime in
 *       another process, through a {@link BusChannel} exactly as a plug-in's runtime does;
 *   <li>the same call over direct gRPC (a hybrid route to the callee's gRPC port);
 * </ol>
 *
 * each open loop at a fixed rate, latency measured from the intended send time with HdrHistogram,
 * run {@code rounds} times interleaved (medians reported); then the throughput one callee replica
 * sustains with {@code concurrency} calls in flight (closed loop), over the bus and direct.
 *
 * <pre>
 * ./mvnw -B -ntp -pl it/benchmarks -am package -DskipTests
 * java -Xmx512m -jar it/benchmarks/target/corebus-benchmarks.jar [--rate=200 --duration=20 ...]
 * </pre>
 */
public final class BusBenchmark {
  static final String NAMESPACE = "bench";
  static final String SERVICE = EchoService.SERVICE;

  /** What one run measured. */
  record Report(
      String machine,
      Map<String, LatencyResult> openLoop,
      Map<String, List<LatencyResult>> rounds,
      List<ClosedLoop.Result> throughput) {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("java.util.logging.manager") == null) {
      System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    }
    BenchmarkOptions options;
    try {
      options = BenchmarkOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    run(options, System.out);
    System.exit(0);
  }

  /** Held so the level sticks (loggers are weakly referenced). */
  private static Logger kafkaLog;

  static Report run(BenchmarkOptions o, PrintStream out) throws Exception {
    o.check();
    kafkaLog = Logger.getLogger("org.apache.kafka");
    kafkaLog.setLevel(Level.WARNING);
    String machine = machine();
    out.println("Corebus bus benchmark, " + Instant.now());
    out.println(machine);
    out.printf(
        Locale.ROOT,
        "open loop %d req/s, %d s measured after %d s warm-up, %d round(s) interleaved;"
            + " closed loop %d in flight for %d s; payload %d bytes%n",
        o.rate(),
        o.duration().toSeconds(),
        o.warmup().toSeconds(),
        o.rounds(),
        o.concurrency(),
        o.throughputDuration().toSeconds(),
        o.payloadBytes());

    Path work = Files.createTempDirectory("corebus-bench-");
    BusTopics topics = BusTopics.forNamespace(NAMESPACE);
    String requestTopic = topics.requests(SERVICE);
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    ExecutorService callbacks = Executors.newFixedThreadPool(4);
    try (KafkaBroker broker =
        KafkaBroker.start(new KafkaBroker.Options().heap("512m").logLevel("warn"))) {
      String bootstrap = broker.bootstrapServers();
      broker.createTopic(requestTopic, 4);
      broker.createTopic(topics.telemetry(), 1);
      RouteTableWriter writer = new RouteTableWriter(topics);
      broker.createTopic(
          writer.topic(), RouteTableWriter.PARTITIONS, RouteTableWriter.topicConfigs());
      for (String raw : List.of("bench.raw.oneway", "bench.raw.ping", "bench.raw.pong")) {
        broker.createTopic(raw, 1);
      }
      try (KafkaProducer<byte[], byte[]> producer =
              new KafkaProducer<>(KafkaSettings.producer(bootstrap, "bench-caller", 0));
          Admin admin = Admin.create(KafkaSettings.admin(bootstrap, "bench-admin"));
          CalleeProcess callee =
              CalleeProcess.start(
                  o.runtimeJar(),
                  o.pluginJar(),
                  NAMESPACE,
                  SERVICE,
                  requestTopic,
                  bootstrap,
                  work);
          RawKafka raw =
              new RawKafka(
                  bootstrap,
                  "bench.raw.oneway",
                  "bench.raw.ping",
                  "bench.raw.pong",
                  o.payloadBytes())) {
        ServiceRoute busRoute =
            new ServiceRoute(
                SERVICE,
                ServiceRoute.Transport.BUS,
                List.of(),
                List.of(VersionRoute.bus("echo", "1.0.0", "r1", 100, requestTopic)));
        ServiceRoute hybridRoute =
            new ServiceRoute(
                SERVICE,
                ServiceRoute.Transport.HYBRID,
                List.of(),
                List.of(
                    busRoute
                        .versions()
                        .get(0)
                        .withEndpoints(List.of(new Endpoint("127.0.0.1", callee.grpcPort)))));
        publish(producer, writer.put(busRoute));
        callee.awaitReady(Duration.ofSeconds(120));

        String slotTopic = topics.replies("bench-caller", "bench-caller-0");
        ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
        BusMetrics metrics = new BusMetrics(new SimpleMeterRegistry());
        try (ReplySlot slot =
                new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, "bench-reply"));
            RouteTable routes =
                new RouteTable(
                    writer.topic(),
                    KafkaSettings.routeConsumer(bootstrap, "bench-routes"),
                    metrics);
            DirectChannels direct = new DirectChannels()) {
          slot.start();
          routes.start();
          BusChannel channel =
              new BusChannel(
                  routes,
                  direct,
                  slot,
                  producer,
                  new RuntimeIdentity(NAMESPACE, "bench", "bench-caller-0", "1"),
                  Duration.ofSeconds(10),
                  1,
                  scheduler,
                  callbacks,
                  metrics);
          awaitRoute(routes, busRoute);
          String payload = "x".repeat(Math.max(0, o.payloadBytes() - 2));
          LinkedHashMap<String, List<LatencyResult>> rounds = new LinkedHashMap<>();
          for (int round = 1; round <= o.rounds(); round++) {
            measure(rounds, out, round, o, "raw Kafka one-way (floor)", i -> raw.oneWay());
            measure(rounds, out, round, o, "raw Kafka round trip", i -> raw.roundTrip());
            publish(producer, writer.put(busRoute));
            awaitRoute(routes, busRoute);
            measure(rounds, out, round, o, "RPC over the bus", i -> call(channel, payload));
            publish(producer, writer.put(hybridRoute));
            awaitRoute(routes, hybridRoute);
            measure(rounds, out, round, o, "RPC direct gRPC (hybrid)", i -> call(channel, payload));
          }
          List<ClosedLoop.Result> throughput = new ArrayList<>();
          for (ServiceRoute route : List.of(busRoute, hybridRoute)) {
            publish(producer, writer.put(route));
            awaitRoute(routes, route);
            String path =
                route.transport() == ServiceRoute.Transport.BUS
                    ? "RPC over the bus"
                    : "RPC direct gRPC (hybrid)";
            ClosedLoop.Result r =
                ClosedLoop.run(
                    path,
                    o.concurrency(),
                    o.warmup(),
                    o.throughputDuration(),
                    () -> call(channel, payload),
                    callbacks);
            out.printf(
                Locale.ROOT,
                "  closed loop %-26s %8.0f req/s with %d in flight (p50 %.2f ms, p99 %.2f ms,"
                    + " errors %d)%n",
                path,
                r.perSecond(),
                r.concurrency(),
                r.latency().p50() / 1000,
                r.latency().p99() / 1000,
                r.errors());
            throughput.add(r);
          }
          Map<String, LatencyResult> medians = new LinkedHashMap<>();
          rounds.forEach((path, runs) -> medians.put(path, LatencyResult.median(runs)));
          Report report = new Report(machine, medians, rounds, throughput);
          print(report, o, out);
          return report;
        }
      }
    } finally {
      scheduler.shutdownNow();
      callbacks.shutdownNow();
    }
  }

  private static void measure(
      Map<String, List<LatencyResult>> rounds,
      PrintStream out,
      int round,
      BenchmarkOptions o,
      String path,
      java.util.function.LongFunction<CompletionStage<?>> issue)
      throws InterruptedException {
    LatencyResult r = OpenLoop.run(path, o.rate(), o.warmup(), o.duration(), issue);
    out.printf(
        Locale.ROOT,
        "  round %d %-28s n=%-6d p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms"
            + "  errors %d%n",
        round,
        path,
        r.count(),
        r.p50() / 1000,
        r.p99() / 1000,
        r.p999() / 1000,
        r.max() / 1000,
        r.errors());
    rounds.computeIfAbsent(path, k -> new ArrayList<>()).add(r);
  }

  private static void print(Report report, BenchmarkOptions o, PrintStream out) {
    LatencyResult floor = report.openLoop().get("raw Kafka one-way (floor)");
    out.println();
    out.printf(
        Locale.ROOT,
        "Medians over %d round(s), open loop %d req/s (ms; x = ratio to the raw one-way floor)%n",
        o.rounds(),
        o.rate());
    out.println("| path | p50 | p99 | p99.9 | max | p50 x floor | p99 x floor | errors |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (LatencyResult r : report.openLoop().values()) {
      out.printf(
          Locale.ROOT,
          "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %d |%n",
          r.path(),
          r.p50() / 1000,
          r.p99() / 1000,
          r.p999() / 1000,
          r.max() / 1000,
          r.p50() / floor.p50(),
          r.p99() / floor.p99(),
          r.errors());
    }
    out.println();
    out.println("| closed loop, one callee replica | in flight | req/s | p50 | p99 | errors |");
    out.println("|---|---:|---:|---:|---:|---:|");
    for (ClosedLoop.Result r : report.throughput()) {
      out.printf(
          Locale.ROOT,
          "| %s | %d | %.0f | %.2f | %.2f | %d |%n",
          r.path(),
          r.concurrency(),
          r.perSecond(),
          r.latency().p50() / 1000,
          r.latency().p99() / 1000,
          r.errors());
    }
  }

  private static CompletionStage<?> call(BusChannel channel, String payload) {
    ListenableFuture<StringValue> f =
        ClientCalls.futureUnaryCall(
            channel.newCall(
                EchoService.SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
            StringValue.of(payload));
    CompletableFuture<Object> c = new CompletableFuture<>();
    f.addListener(
        () -> {
          try {
            c.complete(f.get());
          } catch (Exception e) {
            c.completeExceptionally(e.getCause() != null ? e.getCause() : e);
          }
        },
        MoreExecutors.directExecutor());
    return c;
  }

  private static void publish(KafkaProducer<byte[], byte[]> producer, RouteRecord r)
      throws Exception {
    producer.send(new ProducerRecord<>(r.topic(), r.key(), r.value())).get(30, TimeUnit.SECONDS);
  }

  private static void awaitRoute(RouteTable routes, ServiceRoute route)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!routes.route(route.service()).equals(Optional.of(route))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the route table did not show " + route);
      }
      Thread.sleep(20);
    }
  }

  private static String machine() {
    return machineOnly()
        + "; Kafka "
        + org.apache.kafka.common.utils.AppInfoParser.getVersion()
        + " single broker (KRaft, child JVM -Xmx512m), callee runtime -Xmx256m SerialGC";
  }

  /** Cores, CPU, OS, Java and the load average now: what figures of this machine depend on. */
  static String machineOnly() {
    String cpu = "unknown CPU";
    try {
      cpu =
          Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .findFirst()
              .orElse(cpu);
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return String.format(
        Locale.ROOT,
        "machine: %d cores (%s), %s %s, Java %s, load average %.2f at start",
        Runtime.getRuntime().availableProcessors(),
        cpu,
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("java.version"),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }
}
