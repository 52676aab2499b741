package io.corebus.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.CanaryRollout;
import io.corebus.crds.CanaryStatus;
import io.corebus.crds.CanaryStep;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.Rollout;
import io.corebus.crds.RolloutStrategy;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaAvailability;
import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.bus.KafkaPluginTopics;
import io.corebus.operator.bus.KafkaRequestBacklog;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.TopicSettings;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A canary against the real Kafka broker (operator on the mock API server, telemetry fed to it
 * directly): the plug-in gets its second request lane, the new revision's pods consume it, and
 * after a rollback the new revision's pods stay until the requests already sent to their lane are
 * processed: nothing is stranded on a topic nobody consumes.
 */
class CanaryIT {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  static final String NS = "canary-it";
  static final String SERVICE = "shop.payment.Api";

  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().heap("256m"));

  static MockCluster cluster;
  static KubernetesClient client;
  static TestKubelet kubelet;
  static RunningOperator operator;
  static BusAdmin bus;
  static Admin admin;
  static final PluginTelemetry telemetry =
      new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), Clock.systemUTC());
  static final List<List<ServiceRoute>> published = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    cluster = MockCluster.start();
    client = cluster.client();
    kubelet = new TestKubelet(client);
    cluster.createNamespace(NS);
    KafkaConnection connection = KafkaConnection.plaintext(kafka.bootstrapServers());
    bus =
        new BusAdmin(
            () -> connection,
            new KafkaAvailability(
                new SimpleMeterRegistry(),
                Duration.ofMillis(200),
                Duration.ofSeconds(1),
                Clock.systemUTC()));
    admin = Admin.create(kafka.broker().clientProperties());
    PluginScaler scaler =
        new PluginScaler(
            telemetry,
            new KafkaRequestBacklog(bus),
            new PluginMetrics(new SimpleMeterRegistry()),
            Duration.ofSeconds(5),
            Duration.ofSeconds(15),
            Clock.systemUTC());
    PluginRoutes routes =
        new PluginRoutes() {
          @Override
          public void publish(Plugin plugin, List<ServiceRoute> r) {
            published.add(r);
          }

          @Override
          public void withdraw(Plugin plugin, List<String> services) {}
        };
    operator =
        RunningOperator.start(
            cluster,
            SETTINGS,
            new KafkaPluginTopics(bus, TopicSettings.defaults(), Clock.systemUTC()),
            routes,
            scaler);
  }

  @AfterAll
  static void stop() {
    operator.close();
    admin.close();
    bus.close();
    cluster.close();
  }

  static Plugin get() {
    return client.resources(Plugin.class).inNamespace(NS).withName("payment").get();
  }

  static List<Pod> livePods() {
    return client
        .pods()
        .inNamespace(NS)
        .withLabel("corebus.io/plugin", "payment")
        .list()
        .getItems()
        .stream()
        .filter(p -> !PodState.isTerminating(p))
        .toList();
  }

  /** Every Ready pod served 50 requests in the last second; the new version failed half. */
  static void report() {
    long now = System.currentTimeMillis();
    for (Pod p : livePods()) {
      if (!PodState.isReady(p)) {
        continue;
      }
      long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
      latency[3] = 50;
      String version = PodState.version(p);
      telemetry.record(
          new TelemetryReport(
              NS,
              "payment",
              version,
              PodState.revision(p),
              p.getMetadata().getName(),
              now,
              1000,
              50,
              "2.0.0".equals(version) ? 25 : 0,
              0,
              0,
              0,
              0,
              latency));
    }
  }

  static int canaryWeight(String revision) {
    if (published.isEmpty()) {
      return -1;
    }
    return published.get(published.size() - 1).get(0).versions().stream()
        .filter(v -> v.revision().equals(revision))
        .mapToInt(VersionRoute::weight)
        .findFirst()
        .orElse(-1);
  }

  static Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
    int partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(10, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .size();
    for (int p = 0; p < partitions; p++) {
      q.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> out = new HashMap<>();
    admin
        .listOffsets(q)
        .all()
        .get(10, TimeUnit.SECONDS)
        .forEach((tp, o) -> out.put(tp, o.offset()));
    return out;
  }

  @Test
  void aRolledBackCanaryKeepsItsPodsUntilTheRequestsOnItsLaneAreProcessed() throws Exception {
    BusTopics names = BusTopics.forNamespace(NS);
    Plugin p = TestPlugins.withReplicas(TestPlugins.jarPlugin(NS, "payment"), 2, 2, null);
    CanaryRollout canary = new CanaryRollout();
    // A long first step: the failure, not the clock, ends it.
    canary.setSteps(List.of(new CanaryStep(10, 600), new CanaryStep(100, 1)));
    Rollout rollout = new Rollout();
    rollout.setStrategy(RolloutStrategy.Canary);
    rollout.setCanary(canary);
    p.getSpec().setRollout(rollout);
    client.resource(p).create();
    String v1 = PluginRevision.of(p.getSpec(), SETTINGS);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(NS);
              Plugin now = get();
              assertThat(now.getStatus()).isNotNull();
              Condition progressing = now.getStatus().condition(Condition.PROGRESSING);
              assertThat(progressing).isNotNull();
              assertThat(progressing.getReason()).isEqualTo("Complete");
            });
    Set<String> topics = admin.listTopics().names().get(10, TimeUnit.SECONDS);
    assertThat(topics).contains(names.requests(SERVICE), names.alternateRequests(SERVICE));

    // Version 2 starts on the second lane and gets 10 %.
    Plugin edited =
        client
            .resources(Plugin.class)
            .inNamespace(NS)
            .withName("payment")
            .edit(
                x -> {
                  x.getSpec().setVersion("2.0.0");
                  return x;
                });
    String v2 = PluginRevision.of(edited.getSpec(), SETTINGS);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(NS);
              assertThat(canaryWeight(v2)).isEqualTo(10);
            });
    Pod canaryPod =
        livePods().stream().filter(x -> v2.equals(PodState.revision(x))).findFirst().orElseThrow();
    assertThat(RequestLane.of(canaryPod)).isEqualTo(RequestLane.B);

    // Callers sent 5 requests to the canary's lane that it has not processed yet.
    String lane = names.alternateRequests(SERVICE);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            kafka.broker().clientProperties(),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < 5; i++) {
        producer.send(new ProducerRecord<>(lane, ("call-" + i).getBytes())).get();
      }
    }

    // It fails: rolled back at once, version 1 takes 100 %.
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              report();
              CanaryStatus status = get().getStatus().getCanary();
              assertThat(status).isNotNull();
              assertThat(status.getPhase()).isEqualTo(CanaryStatus.ROLLED_BACK);
              assertThat(canaryWeight(v1)).isEqualTo(100);
              assertThat(canaryWeight(v2)).isEqualTo(-1);
            });

    // Its pod stays while the 5 requests wait on its lane.
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(8))
        .untilAsserted(
            () ->
                assertThat(livePods())
                    .extracting(x -> x.getMetadata().getName())
                    .contains(canaryPod.getMetadata().getName()));
    assertThat(get().getStatus().condition(Condition.PROGRESSING).getMessage())
        .contains("to drain");

    // The canary processes them (its group commits): then it goes, and version 1 has 2 pods.
    Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
    endOffsets(lane).forEach((tp, end) -> done.put(tp, new OffsetAndMetadata(end)));
    admin
        .alterConsumerGroupOffsets(names.requestGroup("payment"), done)
        .all()
        .get(10, TimeUnit.SECONDS);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(NS);
              assertThat(livePods()).allMatch(x -> v1.equals(PodState.revision(x))).hasSize(2);
              assertThat(get().getStatus().condition(Condition.PROGRESSING).getStatus())
                  .isEqualTo(Condition.FALSE);
            });
  }
}
