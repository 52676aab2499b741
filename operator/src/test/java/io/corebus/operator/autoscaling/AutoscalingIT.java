package io.corebus.operator.autoscaling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.crds.Autoscaling;
import io.corebus.crds.AutoscalingMode;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaAvailability;
import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.bus.KafkaPluginTopics;
import io.corebus.operator.bus.KafkaRequestBacklog;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.TopicSettings;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.status.PluginStatusAggregator;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.corebus.operator.telemetry.TelemetryFeed;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Autoscaling against the real Kafka broker, with the operator on the mock API server: runtimes are
 * stood in for by a publisher of {@link TelemetryReport}s on the namespace's telemetry topic (one
 * per Ready pod per second, the load split among them), which the operator reads through its {@link
 * TelemetryFeed}; the request backlog is read from Kafka as in production. Short windows (5 s
 * telemetry, a few seconds of stabilization) keep it quick.
 */
class AutoscalingIT {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().heap("256m"));

  static MockCluster cluster;
  static KubernetesClient client;
  static RunningOperator operator;
  static BusAdmin bus;
  static PluginTelemetry telemetry;
  static TelemetryFeed feed;
  static Producer<byte[], byte[]> producer;
  static ScheduledExecutorService runtimes;

  /** Total requests per second each plug-in handles, split among its Ready pods. */
  static final Map<String, AtomicInteger> load = new ConcurrentHashMap<>();

  /** Plug-ins whose pods stopped sending telemetry. */
  static final Map<String, Boolean> silent = new ConcurrentHashMap<>();

  static volatile String namespace;
  String ns;
  BusTopics names;

  @BeforeAll
  static void start() {
    cluster = MockCluster.start();
    client = cluster.client();
    KafkaConnection connection = KafkaConnection.plaintext(kafka.bootstrapServers());
    KafkaAvailability availability =
        new KafkaAvailability(
            new SimpleMeterRegistry(),
            Duration.ofMillis(200),
            Duration.ofSeconds(1),
            Clock.systemUTC());
    bus = new BusAdmin(() -> connection, availability);
    telemetry =
        new PluginTelemetry(Duration.ofSeconds(5), Duration.ofSeconds(3), Clock.systemUTC());
    feed = TelemetryFeed.start(connection::consumerProperties, telemetry, Duration.ofSeconds(1));
    PluginScaler scaler =
        new PluginScaler(
            telemetry,
            new KafkaRequestBacklog(bus),
            new PluginMetrics(new SimpleMeterRegistry()),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Clock.systemUTC());
    operator =
        RunningOperator.start(
            cluster,
            SETTINGS,
            new KafkaPluginTopics(bus, TopicSettings.defaults(), Clock.systemUTC()),
            PluginRoutes.NONE,
            scaler);
    producer =
        new KafkaProducer<>(
            kafka.broker().clientProperties(),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    runtimes = Executors.newScheduledThreadPool(2);
    TestKubelet kubelet = new TestKubelet(client);
    // The kubelet: pods become Ready shortly after they are created.
    runtimes.scheduleWithFixedDelay(
        () -> {
          String n = namespace;
          if (n != null) {
            try {
              kubelet.markAllReady(n);
            } catch (RuntimeException e) {
              // a pod deleted meanwhile
            }
          }
        },
        200,
        300,
        TimeUnit.MILLISECONDS);
    // The runtimes: each Ready pod reports once a second.
    runtimes.scheduleAtFixedRate(AutoscalingIT::report, 1, 1, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    runtimes.shutdownNow();
    operator.close();
    feed.close();
    producer.close();
    bus.close();
    cluster.close();
  }

  @BeforeEach
  void namespace() {
    ns = "scale-" + NAMESPACES.incrementAndGet();
    names = BusTopics.forNamespace(ns);
    cluster.createNamespace(ns);
    namespace = ns;
  }

  @AfterEach
  void quiet() {
    load.clear();
    silent.clear();
  }

  static void report() {
    String n = namespace;
    if (n == null) {
      return;
    }
    try {
      List<Pod> ready =
          client.pods().inNamespace(n).list().getItems().stream()
              .filter(TestKubelet::isReady)
              .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
              .toList();
      Map<String, List<Pod>> byPlugin = new ConcurrentHashMap<>();
      for (Pod p : ready) {
        byPlugin
            .computeIfAbsent(
                p.getMetadata().getLabels().get("corebus.io/plugin"),
                k -> new java.util.ArrayList<>())
            .add(p);
      }
      long now = System.currentTimeMillis();
      byPlugin.forEach(
          (plugin, pods) -> {
            if (silent.containsKey(plugin)) {
              return;
            }
            long perPod = load.getOrDefault(plugin, new AtomicInteger()).get() / pods.size();
            for (Pod p : pods) {
              long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
              latency[4] = perPod; // 25 ms
              TelemetryReport r =
                  new TelemetryReport(
                      n,
                      plugin,
                      "1.0.0",
                      p.getMetadata().getLabels().get("corebus.io/revision"),
                      p.getMetadata().getName(),
                      now,
                      1000,
                      perPod,
                      0,
                      0,
                      0,
                      0,
                      0,
                      latency);
              producer.send(
                  new ProducerRecord<>(
                      BusTopics.forNamespace(n).telemetry(),
                      p.getMetadata().getName().getBytes(StandardCharsets.UTF_8),
                      r.toJson().getBytes(StandardCharsets.UTF_8)));
            }
          });
    } catch (RuntimeException e) {
      // the next second tries again
    }
  }

  static Plugin qpsPlugin(String ns, String name, int min, int max, int stabilizationSeconds) {
    Plugin p = TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, name), min, max, null);
    Autoscaling a = new Autoscaling();
    a.setMode(AutoscalingMode.Qps);
    a.setTargetQpsPerReplica(100);
    a.setScaleDownStabilizationSeconds(stabilizationSeconds);
    p.getSpec().setAutoscaling(a);
    return p;
  }

  Plugin get(String name) {
    return client.resources(Plugin.class).inNamespace(ns).withName(name).get();
  }

  /** The Plugin's status; fails (for Awaitility to retry) while it has none. */
  PluginStatus status(String name) {
    Plugin p = get(name);
    assertThat(p).isNotNull();
    assertThat(p.getStatus()).as(name + " has a status").isNotNull();
    return p.getStatus();
  }

  Condition autoscaling(String name) {
    Condition c = status(name).condition(PluginStatusAggregator.AUTOSCALING);
    assertThat(c).as(name + " has an Autoscaling condition").isNotNull();
    return c;
  }

  long readyPods(String plugin) {
    return client
        .pods()
        .inNamespace(ns)
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems()
        .stream()
        .filter(TestKubelet::isReady)
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .count();
  }

  long pods(String plugin) {
    return client
        .pods()
        .inNamespace(ns)
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems()
        .size();
  }

  @Test
  void aLoadStepScalesUpAtOnceAndBackDownOnlyAfterTheStabilizationWindow() {
    load.put("orders", new AtomicInteger(50));
    client.resource(qpsPlugin(ns, "orders", 1, 6, 8)).create();

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              PluginStatus p = status("orders");
              assertThat(p.getQps()).isNotNull().isCloseTo(50, within(5.0));
              assertThat(p.getP99LatencyMs()).isEqualTo(25.0);
              assertThat(p.getErrorRate()).isZero();
              assertThat(p.getDesiredReplicas()).isEqualTo(1);
              assertThat(autoscaling("orders").getReason()).isEqualTo(Autoscaler.WITHIN_TARGET);
              assertThat(autoscaling("orders").getStatus()).isEqualTo(Condition.TRUE);
            });

    load.get("orders").set(400);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(readyPods("orders")).isEqualTo(4));
    PluginStatus up = status("orders");
    assertThat(up.getDesiredReplicas()).isEqualTo(4);
    assertThat(up.getLastScaleTime()).isNotNull();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(status("orders").getQps()).isCloseTo(400, within(40.0)));

    // The load drops: the pods stay for the stabilization window (8 s), then go.
    load.get("orders").set(50);
    await()
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(7))
        .until(() -> pods("orders") == 4);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(pods("orders")).isEqualTo(1);
              assertThat(status("orders").getDesiredReplicas()).isEqualTo(1);
            });
  }

  @Test
  void withoutTelemetryItRefusesToScaleInAndSaysWhy() {
    load.put("search", new AtomicInteger(300));
    client.resource(qpsPlugin(ns, "search", 1, 6, 2)).create();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(readyPods("search")).isEqualTo(3));

    // The runtimes go silent (as if the telemetry topic were unreachable for them).
    silent.put("search", true);
    load.get("search").set(0);
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              Condition c = autoscaling("search");
              assertThat(c.getStatus()).isEqualTo(Condition.FALSE);
              assertThat(c.getReason())
                  .isIn(Autoscaler.TELEMETRY_STALE, Autoscaler.TELEMETRY_MISSING);
              assertThat(c.getMessage()).contains("no scale-in");
            });
    // Far beyond the 2 s stabilization window, the three pods stay.
    await()
        .during(Duration.ofSeconds(8))
        .atMost(Duration.ofSeconds(10))
        .until(() -> pods("search") == 3);

    // Telemetry is back (and idle): now it scales in.
    silent.remove("search");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(pods("search")).isEqualTo(1);
              assertThat(autoscaling("search").getStatus()).isEqualTo(Condition.TRUE);
            });
  }

  @Test
  void anIdlePlugInWithMinZeroScalesToZeroAndARequestOnItsTopicBringsItBack() {
    load.put("reports", new AtomicInteger(0));
    client.resource(qpsPlugin(ns, "reports", 0, 3, 3)).create();

    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              assertThat(pods("reports")).isZero();
              assertThat(status("reports").getDesiredReplicas()).isZero();
              assertThat(autoscaling("reports").getReason()).isEqualTo(Autoscaler.SCALED_TO_ZERO);
              assertThat(status("reports").condition(Condition.READY).getStatus())
                  .isEqualTo(Condition.TRUE);
            });

    // A caller parks a request on the topic (the route tells it to, see DesiredRoutes).
    producer.send(
        new ProducerRecord<>(
            names.requests("shop.reports.Api"),
            "call-1".getBytes(StandardCharsets.UTF_8),
            "request".getBytes(StandardCharsets.UTF_8)));
    producer.flush();
    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(readyPods("reports")).isEqualTo(1);
              assertThat(status("reports").getDesiredReplicas()).isEqualTo(1);
            });
    assertThat(status("reports").getLastScaleTime()).isNotNull();
  }

  @Test
  void lagModeRunsOnePodPerTargetOfRequestsWaitingOnTheTopicLikeKeda() {
    Plugin jobs = TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, "jobs"), 1, 5, null);
    Autoscaling a = new Autoscaling();
    a.setMode(AutoscalingMode.Lag);
    a.setTargetLagPerReplica(10);
    a.setScaleDownStabilizationSeconds(2);
    jobs.getSpec().setAutoscaling(a);
    client.resource(jobs).create();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(readyPods("jobs")).isEqualTo(1));

    // 35 requests wait (no runtime consumes them here): ceil(35 / 10) = 4 pods.
    for (int i = 0; i < 35; i++) {
      producer.send(
          new ProducerRecord<>(
              names.requests("shop.jobs.Api"),
              ("job-" + i).getBytes(StandardCharsets.UTF_8),
              "request".getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(readyPods("jobs")).isEqualTo(4);
              assertThat(status("jobs").getLag()).isEqualTo(35L);
              assertThat(autoscaling("jobs").getMessage()).contains("35 waiting");
            });
    // 100 waiting would ask for 10: replicas.max (5) limits it, and the condition says so.
    for (int i = 35; i < 100; i++) {
      producer.send(
          new ProducerRecord<>(
              names.requests("shop.jobs.Api"),
              ("job-" + i).getBytes(StandardCharsets.UTF_8),
              "request".getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(readyPods("jobs")).isEqualTo(5);
              assertThat(autoscaling("jobs").getReason()).isEqualTo(Autoscaler.LIMITED_BY_MAX);
            });
  }
}
