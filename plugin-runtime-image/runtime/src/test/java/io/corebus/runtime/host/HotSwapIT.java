package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.StringValue;
import com.sun.net.httpserver.HttpServer;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.ControlCodec;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.KeyedRequests;
import io.corebus.runtime.bus.RoutePublisher;
import io.corebus.runtime.loader.Sha256;
import io.corebus.testplugin.EchoPlugin;
import io.corebus.testplugin.EchoService;
import io.grpc.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap in a packaged runtime process: under continuous calls, the operator's control record
 * moves the running plug-in from 1.0.0 to 2.0.0 without a restart and without a failed call; a call
 * that 1.0.0 completed is, retried with its idempotency key, answered with 1.0.0's reply instead of
 * running again on 2.0.0; then a jar with the wrong SHA-256 and a jar whose start() throws are
 * refused, 2.0.0 keeps serving, and the runtime's telemetry says why. A swap whose jar server
 * answers 503 is retried by the runtime until the jar comes, while a wrong checksum or a 404 waits
 * for another command.
 */
class HotSwapIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final String NAMESPACE = "hotswap";
  static final String POD = "echo-0";

  @TempDir Path tmp;

  private final Path pluginJar = Path.of(System.getProperty("corebus.it.test-plugin-jar"));

  @Test
  void aSwapUnderLoadFailsNoCallAndBadJarsLeaveTheRunningVersionServing() throws Exception {
    BusTopics topics = echoBus(NAMESPACE, 2);
    Path v2 = variant("echo-2.0.0.jar", "2.0.0", false);
    Path v3 = variant("echo-3.0.0.jar", "3.0.0", false);
    Path failing = variant("echo-4.0.0-failing.jar", "4.0.0", true);
    Path lifecycle = tmp.resolve("lifecycle.txt");
    Path config = Files.createDirectories(tmp.resolve("config"));
    Files.writeString(config.resolve("lifecycle-file"), lifecycle.toString());

    try (RuntimeProcess runtime = RuntimeProcess.start("hotswap-echo-0", env(config, NAMESPACE));
        BusCaller caller = new BusCaller(kafka.bootstrapServers(), topics, "hotswap-caller-0");
        KafkaProducer<byte[], byte[]> control =
            new KafkaProducer<>(KafkaSettings.producer(kafka.bootstrapServers(), "it-op", 0));
        Telemetry telemetry = new Telemetry(topics.telemetry());
        KeyedRequests keyed =
            new KeyedRequests(kafka.bootstrapServers(), topics, "hotswap-keyed-0")) {
      runtime.awaitReady();
      assertThat(caller.say("version")).isEqualTo("1.0.0");
      await().atMost(Duration.ofSeconds(30)).until(keyed::ready);
      String key = "retried-across-the-swap";
      assertThat(versionCall(keyed, key)).as("the call runs on 1.0.0").isEqualTo("1.0.0");

      try (Load load = new Load(caller)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() > 200);

        publish(control, topics, new DesiredArtifact("echo", "2.0.0", url(v2), Sha256.of(v2), 2));
        await("calls answered by 2.0.0")
            .atMost(Duration.ofSeconds(60))
            .until(() -> load.byVersion.getOrDefault("2.0.0", 0) > 0);
        await("the swap finished")
            .atMost(Duration.ofSeconds(30))
            .until(() -> runtime.output().contains("hot swap of echo to 2.0.0 done"));
        int answeredAtSwap = load.answered.get();
        load.expectOnly("2.0.0");
        // The retry reaches 2.0.0, whose handler would answer "2.0.0": the runtime's idempotency
        // window answers it with the reply 1.0.0 produced.
        assertThat(versionCall(keyed, key))
            .as("a retry after the swap is answered from the window, not run again")
            .isEqualTo("1.0.0");
        assertThat(versionCall(keyed, key + "-fresh")).as("a new call").isEqualTo("2.0.0");
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> load.answered.get() > answeredAtSwap + 300);
        TelemetryReport swapped =
            telemetry.first(
                r -> "2.0.0".equals(r.version()) && r.swapError() == null, "reports 2.0.0");
        assertThat(swapped.sha256()).isEqualTo(Sha256.of(v2));

        // A jar that does not match its checksum is refused; 2.0.0 keeps serving.
        publish(control, topics, new DesiredArtifact("echo", "3.0.0", url(v3), "0".repeat(64), 3));
        TelemetryReport refused =
            telemetry.first(
                r -> r.swapError() != null && r.swapError().contains("ChecksumMismatch"),
                "reports the checksum mismatch");
        assertThat(refused.version()).isEqualTo("2.0.0");
        assertThat(refused.swapError()).contains("still running 2.0.0").contains("wanted 3.0.0");

        // A plug-in whose start() throws is refused; 2.0.0 keeps serving.
        publish(
            control,
            topics,
            new DesiredArtifact("echo", "4.0.0", url(failing), Sha256.of(failing), 4));
        TelemetryReport failed =
            telemetry.first(
                r -> r.swapError() != null && r.swapError().contains("refuses to start"),
                "reports the failed start");
        assertThat(failed.version()).isEqualTo("2.0.0");
        assertThat(failed.swapError()).startsWith("StartFailed:");
        int answeredNow = load.answered.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() > answeredNow + 300);

        load.stop();
        assertThat(load.failures).as("failed calls through the swaps").isEmpty();
        assertThat(load.unexpected).as("answers from another version after the swap").isEmpty();
        assertThat(load.byVersion.keySet()).containsOnly("1.0.0", "2.0.0");
        System.out.printf(
            "%n[HotSwapIT] %d calls, answers by version %s, no failure%n",
            load.answered.get(), load.byVersion);
      }
      assertThat(caller.say("version")).isEqualTo("2.0.0");
      assertThat(runtime.process.isAlive()).as("no restart").isTrue();
      // The new version started before the old one stopped; the failing one never served.
      assertThat(Files.readAllLines(lifecycle))
          .filteredOn(l -> l.startsWith("started") || l.equals("stopped"))
          .extracting(l -> l.split(" ")[0] + (l.startsWith("started") ? " " + l.split(" ")[1] : ""))
          .containsExactly("started 1.0.0", "started 2.0.0", "stopped");
    }
  }

  @Test
  void aSwapWhoseJarServerIsUnavailableIsRetriedUntilTheJarComesButABadJarIsNot() throws Exception {
    String namespace = "hotswap-retry";
    BusTopics topics = echoBus(namespace, 1);
    Path v2 = variant("echo-2.0.0.jar", "2.0.0", false);
    Path v3 = variant("echo-3.0.0.jar", "3.0.0", false);
    Path config = Files.createDirectories(tmp.resolve("config"));
    Map<String, String> env = env(config, namespace);
    env.put("COREBUS_DOWNLOAD_ATTEMPTS", "1"); // no in-process retries: each GET is a swap attempt
    env.put("COREBUS_SWAP_RETRY_BASE", "200ms");
    env.put("COREBUS_SWAP_RETRY_MAX", "1s");

    try (JarServer jars = new JarServer(Map.of("/echo-2.0.0.jar", v2, "/echo-3.0.0.jar", v3));
        RuntimeProcess runtime = RuntimeProcess.start("hotswap-retry-echo-0", env);
        BusCaller caller = new BusCaller(kafka.bootstrapServers(), topics, "hotswap-retry-0");
        KafkaProducer<byte[], byte[]> control =
            new KafkaProducer<>(KafkaSettings.producer(kafka.bootstrapServers(), "it-op-r", 0));
        Telemetry telemetry = new Telemetry(topics.telemetry())) {
      runtime.awaitReady();
      assertThat(caller.say("version")).isEqualTo("1.0.0");
      DesiredArtifact wantV2 =
          new DesiredArtifact("echo", "2.0.0", jars.url("/echo-2.0.0.jar"), Sha256.of(v2), 2);

      // The jar server answers 503: the swap fails, 1.0.0 keeps serving, and the runtime tries
      // again by itself with growing delays, saying so in its swapError.
      publish(control, topics, wantV2);
      // 200ms, 400ms, 800ms, then the cap: attempt 5 and later come 1s apart
      TelemetryReport retrying =
          telemetry.first(
              r -> r.swapError() != null && r.swapError().contains("retrying in 1s at "),
              "reports retries at the capped delay");
      assertThat(retrying.version()).isEqualTo("1.0.0");
      assertThat(retrying.swapError())
          .startsWith("DownloadFailed:")
          .contains("HTTP 503")
          .contains("still running 1.0.0; wanted 2.0.0")
          .containsPattern("; retrying in 1s at \\S+ \\(attempt \\d+\\)$");
      assertThat(jars.requests("/echo-2.0.0.jar")).isGreaterThanOrEqualTo(4);
      assertThat(runtime.output())
          .contains("retrying in 200ms at ")
          .contains("retrying in 400ms at ")
          .contains("retrying in 800ms at ")
          .contains("(attempt 5)");
      assertThat(caller.say("version")).isEqualTo("1.0.0");

      // A return to the running jar cancels the retries.
      publish(
          control,
          topics,
          new DesiredArtifact("echo", "1.0.0", url(pluginJar), Sha256.of(pluginJar), 3));
      telemetry.first(
          r -> "1.0.0".equals(r.version()) && r.swapError() == null, "reports the swap moot");
      int triedBeforeReturn = jars.requests("/echo-2.0.0.jar");
      await("no retry after the return to 1.0.0")
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(() -> jars.requests("/echo-2.0.0.jar") == triedBeforeReturn);

      // Asked again while the server still answers 503; once the server has the jar, a retry
      // (no new control record) swaps to 2.0.0.
      publish(
          control,
          topics,
          new DesiredArtifact("echo", "2.0.0", wantV2.jarUrl(), wantV2.sha256(), 4));
      telemetry.first(
          r -> r.swapError() != null && r.swapError().contains("retrying in"),
          "reports the retry scheduled again");
      int triedBeforeServing = jars.requests("/echo-2.0.0.jar");
      jars.available.set(true);
      await("2.0.0 serves")
          .atMost(Duration.ofSeconds(30))
          .until(() -> "2.0.0".equals(caller.say("version")));
      assertThat(jars.requests("/echo-2.0.0.jar")).isGreaterThan(triedBeforeServing);
      TelemetryReport swapped =
          telemetry.first(
              r -> "2.0.0".equals(r.version()) && r.swapError() == null, "reports 2.0.0");
      assertThat(swapped.sha256()).isEqualTo(Sha256.of(v2));
      assertThat(runtime.output()).contains("retrying the hot swap of echo to 2.0.0");

      // A jar with the wrong checksum and a jar the server does not have (404) are not retried.
      publish(
          control,
          topics,
          new DesiredArtifact("echo", "3.0.0", jars.url("/echo-3.0.0.jar"), "0".repeat(64), 5));
      TelemetryReport mismatch =
          telemetry.first(
              r -> r.swapError() != null && r.swapError().contains("ChecksumMismatch"),
              "reports the checksum mismatch");
      assertThat(mismatch.swapError()).doesNotContain("retrying in");
      publish(
          control,
          topics,
          new DesiredArtifact("echo", "4.0.0", jars.url("/echo-4.0.0.jar"), Sha256.of(v3), 6));
      TelemetryReport missing =
          telemetry.first(
              r -> r.swapError() != null && r.swapError().contains("HTTP 404"),
              "reports the missing jar");
      assertThat(missing.swapError()).startsWith("DownloadFailed:").doesNotContain("retrying in");
      assertThat(missing.version()).isEqualTo("2.0.0");
      await("no retry of the bad jars")
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> jars.requests("/echo-3.0.0.jar") == 1 && jars.requests("/echo-4.0.0.jar") == 1);
      assertThat(caller.say("version")).isEqualTo("2.0.0");
      assertThat(runtime.process.isAlive()).as("no restart").isTrue();
    }
  }

  /**
   * An artifact server for jars: answers 503 for every jar until {@link #available} is set, then
   * serves its jars (404 for others), and counts the requests of each path.
   */
  private static final class JarServer implements AutoCloseable {
    final AtomicBoolean available = new AtomicBoolean();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final HttpServer server;

    JarServer(Map<String, Path> jars) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            try (exchange) {
              Path jar = jars.get(path);
              if (jar == null) {
                exchange.sendResponseHeaders(404, -1);
              } else if (!available.get()) {
                exchange.sendResponseHeaders(503, -1);
              } else {
                byte[] body = Files.readAllBytes(jar);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
              }
            }
          });
      server.start();
    }

    String url(String path) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int requests(String path) {
      AtomicInteger n = requests.get(path);
      return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  /** Calls {@code version} with idempotency key {@code key}; returns the answer. */
  private static String versionCall(KeyedRequests keyed, String key) throws Exception {
    KeyedRequests.Answer answer =
        keyed.call(
            requestTopic(),
            EchoService.SAY.getFullMethodName(),
            key,
            StringValue.of("version").toByteArray(),
            Duration.ofSeconds(15));
    assertThat(answer.code()).as("status of %s: %s", key, answer.message()).isZero();
    return StringValue.parseFrom(answer.body()).getValue();
  }

  /** Calls {@code version} (and a slower call, to have calls in flight) 16 at a time. */
  private static final class Load implements AutoCloseable {
    final AtomicInteger answered = new AtomicInteger();
    final Map<String, Integer> byVersion = new ConcurrentHashMap<>();
    final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    final List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicReference<String> only = new AtomicReference<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Semaphore window = new Semaphore(16);
    private final Thread sender;

    Load(BusCaller caller) {
      sender =
          new Thread(
              () -> {
                for (int i = 0; running.get(); i++) {
                  window.acquireUninterruptibly();
                  if (!running.get()) {
                    window.release();
                    break;
                  }
                  boolean slow = i % 2 == 1;
                  // expected only for calls sent after the swap finished
                  String expected = only.get();
                  Futures.addCallback(
                      caller.sayLater(slow ? "sleep:40" : "version", Duration.ofSeconds(15)),
                      new FutureCallback<StringValue>() {
                        @Override
                        public void onSuccess(StringValue v) {
                          if (!slow) {
                            byVersion.merge(v.getValue(), 1, Integer::sum);
                            if (expected != null && !expected.equals(v.getValue())) {
                              unexpected.add(v.getValue());
                            }
                          }
                          answered.incrementAndGet();
                          window.release();
                        }

                        @Override
                        public void onFailure(Throwable t) {
                          failures.add(Status.fromThrowable(t).toString());
                          window.release();
                        }
                      },
                      MoreExecutors.directExecutor());
                }
              },
              "hot-swap-load");
      sender.start();
    }

    void expectOnly(String version) {
      only.set(version);
    }

    void stop() throws InterruptedException {
      running.set(false);
      sender.join();
      window.acquire(16); // every call answered
      window.release(16);
    }

    @Override
    public void close() throws InterruptedException {
      if (running.get()) {
        stop();
      }
    }
  }

  /** Reads the telemetry topic from the beginning. */
  private static final class Telemetry implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;

    Telemetry(String topic) {
      consumer =
          new KafkaConsumer<>(KafkaSettings.routeConsumer(kafka.bootstrapServers(), "it-tm"));
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
    }

    /** The first report of the instance, from now on, that matches. */
    TelemetryReport first(Predicate<TelemetryReport> matches, String what) {
      AtomicReference<TelemetryReport> found = new AtomicReference<>();
      await(what)
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  TelemetryReport report =
                      TelemetryReport.fromJson(new String(r.value(), StandardCharsets.UTF_8));
                  if (report.instance().equals(POD) && matches.test(report)) {
                    found.set(report);
                    return true;
                  }
                }
                return false;
              });
      return found.get();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /** The namespace's request, telemetry and control topics, and the Echo service's route. */
  private static BusTopics echoBus(String namespace, int requestPartitions) throws Exception {
    BusTopics topics = BusTopics.forNamespace(namespace);
    String requestTopic = topics.requests(EchoService.SERVICE);
    kafka.broker().createTopic(requestTopic, requestPartitions);
    kafka.broker().createTopic(topics.telemetry(), 1);
    kafka.broker().createTopic(topics.control(), 1, Map.of("cleanup.policy", "compact"));
    try (RoutePublisher routes =
        new RoutePublisher(kafka.bootstrapServers(), topics, kafka.broker()::createTopic)) {
      routes.publish(RoutePublisher.busRoute(EchoService.SERVICE, "echo", requestTopic));
    }
    return topics;
  }

  private static void publish(
      KafkaProducer<byte[], byte[]> producer, BusTopics topics, DesiredArtifact desired)
      throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topics.control(), ControlCodec.key(desired.plugin()), ControlCodec.value(desired)))
        .get();
  }

  private static String url(Path jar) {
    return jar.toUri().toString();
  }

  /** A copy of the test plug-in jar that reports {@code version} and, if asked, fails to start. */
  private Path variant(String name, String version, boolean failStart) throws IOException {
    Path out = tmp.resolve(name);
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(pluginJar));
        ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        zip.putNextEntry(new ZipEntry(e.getName()));
        in.transferTo(zip);
        zip.closeEntry();
      }
      write(zip, EchoPlugin.VERSION_RESOURCE, version);
      if (failStart) {
        write(zip, EchoPlugin.FAIL_START_RESOURCE, "yes");
      }
    }
    return out;
  }

  private static void write(ZipOutputStream z, String entry, String content) throws IOException {
    z.putNextEntry(new ZipEntry(entry));
    z.write(content.getBytes(StandardCharsets.UTF_8));
    z.closeEntry();
  }

  private Map<String, String> env(Path configDir, String namespace) {
    Map<String, String> env = new HashMap<>();
    env.put(RuntimeContract.ENV_PLUGIN_NAME, "echo");
    env.put(RuntimeContract.ENV_NAMESPACE, namespace);
    env.put(RuntimeContract.ENV_PLUGIN_VERSION, "1.0.0");
    env.put(RuntimeContract.ENV_POD_NAME, POD);
    try {
      env.put(RuntimeContract.ENV_JAR_SHA256, Sha256.of(pluginJar));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    env.put(RuntimeContract.ENV_JAR_URL, pluginJar.toUri().toString());
    env.put(RuntimeContract.ENV_HOT_SWAP, "true");
    env.put(RuntimeContract.ENV_PROVIDES, EchoService.SERVICE);
    env.put(
        RuntimeContract.ENV_REQUEST_TOPICS,
        EchoService.SERVICE
            + "="
            + BusTopics.forNamespace(namespace).requests(EchoService.SERVICE));
    env.put(RuntimeContract.ENV_KAFKA_BOOTSTRAP, kafka.bootstrapServers());
    env.put(RuntimeContract.ENV_CONFIG_DIR, configDir.toString());
    env.put("COREBUS_TERMINATION_MESSAGE_PATH", tmp.resolve("termination-log").toString());
    env.put("COREBUS_DOWNLOAD_DIR", tmp.resolve("download").toString());
    env.put("COREBUS_GRPC_PORT", "-1");
    return env;
  }

  private static String requestTopic() {
    return BusTopics.forNamespace(NAMESPACE).requests(EchoService.SERVICE);
  }
}
