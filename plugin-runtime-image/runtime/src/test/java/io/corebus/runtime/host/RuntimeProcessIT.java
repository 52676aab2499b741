package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.RoutePublisher;
import io.corebus.runtime.loader.Sha256;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The packaged runtime as a process, loading the test plug-in jar the way a pod does. */
class RuntimeProcessIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @TempDir Path tmp;

  private final Path pluginJar = Path.of(System.getProperty("corebus.it.test-plugin-jar"));

  private Map<String, String> env(String pod, String sha256, Path configDir) {
    Map<String, String> env = new HashMap<>();
    env.put(RuntimeContract.ENV_PLUGIN_NAME, "echo");
    env.put(RuntimeContract.ENV_NAMESPACE, "it");
    env.put(RuntimeContract.ENV_PLUGIN_VERSION, "1.0.0");
    env.put(RuntimeContract.ENV_POD_NAME, pod);
    env.put(RuntimeContract.ENV_JAR_URL, pluginJar.toUri().toString());
    env.put(RuntimeContract.ENV_JAR_SHA256, sha256);
    env.put(RuntimeContract.ENV_PROVIDES, EchoService.SERVICE);
    env.put(RuntimeContract.ENV_KAFKA_BOOTSTRAP, kafka.bootstrapServers());
    env.put(RuntimeContract.ENV_CONFIG_DIR, configDir.toString());
    env.put("COREBUS_TERMINATION_MESSAGE_PATH", tmp.resolve("termination-log").toString());
    env.put("COREBUS_DOWNLOAD_DIR", tmp.resolve("download").toString());
    env.put("COREBUS_GRPC_PORT", Integer.toString(grpcPort));
    return env;
  }

  private int version;
  private final int grpcPort = freePort();

  private static int freePort() {
    try (var socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Writes a ConfigMap version as the kubelet does: new directory, then swap ..data. */
  private void kubeletWrites(Path dir, Map<String, String> data) throws IOException {
    Files.createDirectories(dir);
    Path ts = Files.createDirectory(dir.resolve("..v" + (++version)));
    for (var e : data.entrySet()) {
      Files.writeString(ts.resolve(e.getKey()), e.getValue());
    }
    Path tmpLink = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmpLink, ts.getFileName());
    Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void loadsTheJarBecomesReadyServesCallsFollowsConfigAndStopsThePluginOnSigterm()
      throws Exception {
    BusTopics topics = BusTopics.forNamespace("it");
    // The operator names the version's topic; the runtime gets it in COREBUS_REQUEST_TOPICS and
    // callers in the route: neither computes it.
    String requestTopic = topics.requests(EchoService.SERVICE) + ".r1";
    kafka.broker().createTopic(requestTopic, 2);
    kafka.broker().createTopic(topics.telemetry(), 1);
    try (RoutePublisher routes =
        new RoutePublisher(kafka.bootstrapServers(), topics, kafka.broker()::createTopic)) {
      routes.publish(RoutePublisher.busRoute(EchoService.SERVICE, "echo", requestTopic));
    }
    Path configDir = tmp.resolve("config");
    Path lifecycle = tmp.resolve("lifecycle.txt");
    kubeletWrites(configDir, Map.of("greeting", "hello", "lifecycle-file", lifecycle.toString()));
    Map<String, String> env = env("echo-0", Sha256.of(pluginJar), configDir);
    env.put(RuntimeContract.ENV_REQUEST_TOPICS, EchoService.SERVICE + "=" + requestTopic);

    try (RuntimeProcess runtime = RuntimeProcess.start("echo-0", env);
        BusCaller caller = new BusCaller(kafka.bootstrapServers(), topics, "it-caller-0")) {
      runtime.awaitReady();

      assertThat(runtime.status(RuntimeContract.LIVENESS_PATH)).isEqualTo(200);
      assertThat(runtime.status(RuntimeContract.STARTUP_PATH)).isEqualTo(200);
      assertThat(runtime.get(RuntimeContract.READINESS_PATH).body())
          .contains("plugin-ready")
          .contains("\"version\": \"1.0.0\"");
      assertThat(Files.readAllLines(lifecycle)).containsExactly("started 1.0.0 {greeting=hello}");

      assertThat(caller.say("over the bus")).isEqualTo("echo: over the bus");
      assertThat(runtime.get(RuntimeContract.METRICS_PATH).body())
          .contains(
              "corebus_rpc_server_duration_seconds_count{code=\"OK\",method=\"corebus.test.Echo/Say\"");

      // The same service, directly over gRPC, as hybrid routes reach it.
      ManagedChannel direct =
          Grpc.newChannelBuilderForAddress(
                  "127.0.0.1", grpcPort, InsecureChannelCredentials.create())
              .build();
      try {
        assertThat(
                ClientCalls.blockingUnaryCall(
                        direct,
                        EchoService.SAY,
                        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                        StringValue.of("direct"))
                    .getValue())
            .isEqualTo("echo: direct");
      } finally {
        direct.shutdownNow();
      }
      assertThat(runtime.get(RuntimeContract.METRICS_PATH).body())
          .contains(
              "corebus_rpc_server_duration_seconds_count{code=\"OK\",method=\"corebus.test.Echo/Say\",transport=\"direct\"} 1.0")
          .contains("corebus_routes_services 1.0");

      TelemetryReport report = awaitTelemetry(topics, r -> r.requests() >= 1);
      assertThat(report.plugin()).isEqualTo("echo");
      assertThat(report.version()).isEqualTo("1.0.0");
      assertThat(report.errors()).isZero();
      assertThat(report.lag()).isGreaterThanOrEqualTo(0);
      assertThat(Arrays.stream(report.latencyCounts()).sum()).isEqualTo(report.requests());

      kubeletWrites(
          configDir, Map.of("greeting", "bonjour", "lifecycle-file", lifecycle.toString()));
      await("config change callback")
          .atMost(Duration.ofSeconds(15))
          .until(() -> Files.readString(lifecycle).contains("config {greeting=bonjour"));

      // A call still running when SIGTERM arrives is finished and answered before the exit.
      var inFlight = caller.sayLater("sleep:1500");
      await("the slow call is being handled")
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  runtime
                      .get(RuntimeContract.METRICS_PATH)
                      .body()
                      .contains("corebus_rpc_server_in_flight 1.0"));
      runtime.process.destroy(); // SIGTERM, as the kubelet sends it
      assertThat(inFlight.get(15, TimeUnit.SECONDS).getValue()).isEqualTo("echo: sleep:1500");
      assertThat(runtime.process.waitFor(30, TimeUnit.SECONDS))
          .as("exits within the grace period")
          .isTrue();
      List<String> lines = Files.readAllLines(lifecycle);
      assertThat(lines.get(lines.size() - 1)).isEqualTo("stopped");
      assertThat(runtime.output()).contains("runtime drained and stopped");
    }
  }

  @Test
  void theBusProbeFailsWhileAConsumedTopicIsMissingAndPassesOnceItExists() throws Exception {
    String topic = "corebus.it.rpc.probe.Missing" + UUID.randomUUID().toString().substring(0, 8);
    try (Admin admin = Admin.create(KafkaSettings.admin(kafka.bootstrapServers(), "probe"))) {
      BusProbe probe = new BusProbe(admin, List.of(topic));
      probe.check();
      assertThat(probe.problem()).contains(topic).contains("do not exist");

      kafka.broker().createTopic(topic, 1);
      probe.check();
      assertThat(probe.problem()).isNull();
    }
  }

  @Test
  void aJarWithTheWrongChecksumIsRefusedAndTheProcessExitsWithTheReason() throws Exception {
    String wrong = "0".repeat(64);
    try (RuntimeProcess runtime =
        RuntimeProcess.start("echo-bad", env("echo-bad", wrong, tmp.resolve("no-config")))) {
      assertThat(runtime.process.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
      assertThat(runtime.process.exitValue()).isNotZero();
      assertThat(runtime.output()).contains("ChecksumMismatch").contains("refusing to load it");
      assertThat(tmp.resolve("termination-log"))
          .content()
          .startsWith("ChecksumMismatch: the plug-in jar from")
          .contains("expects " + wrong);
    }
  }

  private TelemetryReport awaitTelemetry(BusTopics topics, Predicate<TelemetryReport> wanted) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "telemetry-reader-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<TelemetryReport> found = new CopyOnWriteArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topics.telemetry()));
      await("a telemetry report")
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                  TelemetryReport report = TelemetryReport.fromJson(r.value());
                  assertThat(r.key()).isEqualTo(report.instance()).isEqualTo("echo-0");
                  if (wanted.test(report)) {
                    found.add(report);
                  }
                }
                return !found.isEmpty();
              });
    }
    return found.get(0);
  }
}
