package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.ReplySlot;
import io.corebus.runtime.bus.RequestRoutes;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.runtime.loader.Sha256;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
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
    return env;
  }

  private int version;

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
    kafka.broker().createTopic(topics.requests(EchoService.SERVICE), 2);
    Path configDir = tmp.resolve("config");
    Path lifecycle = tmp.resolve("lifecycle.txt");
    kubeletWrites(configDir, Map.of("greeting", "hello", "lifecycle-file", lifecycle.toString()));

    try (RuntimeProcess runtime =
        RuntimeProcess.start("echo-0", env("echo-0", Sha256.of(pluginJar), configDir))) {
      await("readiness")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(250))
          .failFast("the runtime exited:\n" + runtime.output(), () -> !runtime.process.isAlive())
          .until(() -> runtime.readiness() == 200);

      assertThat(runtime.status(RuntimeContract.LIVENESS_PATH)).isEqualTo(200);
      assertThat(runtime.status(RuntimeContract.STARTUP_PATH)).isEqualTo(200);
      assertThat(runtime.get(RuntimeContract.READINESS_PATH).body())
          .contains("plugin-ready")
          .contains("\"version\": \"1.0.0\"");
      assertThat(Files.readAllLines(lifecycle)).containsExactly("started 1.0.0 {greeting=hello}");

      assertThat(callEchoOverTheBus(topics, "over the bus")).isEqualTo("echo: over the bus");
      assertThat(runtime.get(RuntimeContract.METRICS_PATH).body())
          .contains(
              "corebus_rpc_server_duration_seconds_count{code=\"OK\",method=\"corebus.test.Echo/Say\"");

      kubeletWrites(
          configDir, Map.of("greeting", "bonjour", "lifecycle-file", lifecycle.toString()));
      await("config change callback")
          .atMost(Duration.ofSeconds(15))
          .until(() -> Files.readString(lifecycle).contains("config {greeting=bonjour"));

      runtime.process.destroy(); // SIGTERM, as the kubelet sends it
      assertThat(runtime.process.waitFor(30, TimeUnit.SECONDS))
          .as("exits within the grace period")
          .isTrue();
      List<String> lines = Files.readAllLines(lifecycle);
      assertThat(lines.get(lines.size() - 1)).isEqualTo("stopped");
      assertThat(runtime.output()).contains("runtime drained and stopped");
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

  private String callEchoOverTheBus(BusTopics topics, String text) throws Exception {
    String bootstrap = kafka.bootstrapServers();
    var scheduler = Executors.newScheduledThreadPool(1);
    var callbacks = Executors.newCachedThreadPool();
    try (Admin admin = Admin.create(KafkaSettings.admin(bootstrap, "it-caller"));
        var producer =
            new KafkaProducer<byte[], byte[]>(KafkaSettings.producer(bootstrap, "it-caller", 0))) {
      String slotTopic = topics.replies("it-caller-0");
      ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
      try (ReplySlot slot =
          new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, "it-caller-reply"))) {
        slot.start();
        await().atMost(Duration.ofSeconds(30)).until(slot::ready);
        BusChannel channel =
            new BusChannel(
                new RequestRoutes(topics, admin),
                slot,
                producer,
                new RuntimeIdentity("it", "it-caller", "it-caller-0", "1"),
                Duration.ofSeconds(20),
                3,
                scheduler,
                callbacks,
                new BusMetrics(new SimpleMeterRegistry()));
        return ClientCalls.blockingUnaryCall(
                channel, EchoService.SAY, CallOptions.DEFAULT, StringValue.of(text))
            .getValue();
      }
    } finally {
      scheduler.shutdownNow();
      callbacks.shutdownNow();
    }
  }
}
