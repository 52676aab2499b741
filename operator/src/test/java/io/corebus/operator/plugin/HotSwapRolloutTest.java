package io.corebus.operator.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.TelemetryReport;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Artifact;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.Rollout;
import io.corebus.crds.RolloutStrategy;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.bus.PluginControl;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.bus.RequestBacklog;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.metrics.PluginMetrics;
import io.corebus.operator.status.PluginStatusAggregator;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A HotSwap Plugin against the mock API server, its runtimes played by telemetry reports: a version
 * change goes to the control topic, not to new pods, and the status, routes and events follow what
 * the pods report.
 */
class HotSwapRolloutTest {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092")
          .withRolloutRecheck(Duration.ofMillis(300));
  static final String NS = "hotswap";
  static final String SHA2 = "f".repeat(64);

  static MockCluster cluster;
  static RunningOperator operator;
  static KubernetesClient client;
  static TestKubelet kubelet;
  static final PluginTelemetry telemetry =
      new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), Clock.systemUTC());
  static final List<DesiredArtifact> controlRecords = new CopyOnWriteArrayList<>();
  static final Map<String, List<ServiceRoute>> routes = new ConcurrentHashMap<>();

  /** Plug-ins whose next topic check reports the namespace's control topic as created now. */
  static final Set<String> controlTopicRecreatedFor = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void startOperator() {
    cluster = MockCluster.start();
    client = cluster.client();
    kubelet = new TestKubelet(client);
    cluster.createNamespace(NS);
    PluginScaler scaler =
        new PluginScaler(
            telemetry,
            RequestBacklog.NONE,
            new PluginMetrics(new SimpleMeterRegistry()),
            Duration.ofSeconds(5),
            Duration.ofSeconds(15),
            Clock.systemUTC());
    PluginControl control =
        new PluginControl() {
          @Override
          public void publish(String namespace, DesiredArtifact desired) {
            controlRecords.add(desired);
          }

          @Override
          public void withdraw(String namespace, String plugin) {}
        };
    PluginRoutes routeTable =
        new PluginRoutes() {
          @Override
          public void publish(Plugin plugin, List<ServiceRoute> published) {
            published.forEach(r -> routes.put(r.service(), List.of(r)));
          }

          @Override
          public void withdraw(Plugin plugin, List<String> services) {}
        };
    PluginTopics topics =
        new PluginTopics() {
          @Override
          public EnsureReport ensure(
              Plugin plugin, Collection<Plugin> namespacePlugins, Set<String> podNames) {
            if (!controlTopicRecreatedFor.remove(plugin.getMetadata().getName())) {
              return Checked.NOTHING;
            }
            String control = BusTopics.forNamespace(plugin.getMetadata().getNamespace()).control();
            return new Checked(
                List.of(control + " (1 partitions)"), List.of(), List.of(), List.of());
          }

          @Override
          public ReleaseReport release(Plugin plugin, Collection<Plugin> remaining) {
            return PluginTopics.NONE.release(plugin, remaining);
          }
        };
    operator = RunningOperator.start(cluster, SETTINGS, topics, routeTable, scaler, control);
  }

  @AfterAll
  static void stopOperator() {
    operator.close();
    cluster.close();
  }

  static Plugin get(String name) {
    return client.resources(Plugin.class).inNamespace(NS).withName(name).get();
  }

  static Condition condition(String name, String type) {
    Plugin p = get(name);
    return p == null || p.getStatus() == null ? null : p.getStatus().condition(type);
  }

  static Set<String> podNames(String plugin) {
    return client
        .pods()
        .inNamespace(NS)
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems()
        .stream()
        .map(p -> p.getMetadata().getName())
        .collect(Collectors.toSet());
  }

  /** What the runtime of {@code pod} reports now. */
  static void report(String pod, String version, String sha256, String swapError) {
    long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
    telemetry.record(
        new TelemetryReport(
            NS,
            "swapper",
            version,
            "",
            pod,
            System.currentTimeMillis(),
            1000,
            0,
            0,
            0,
            0,
            0,
            0,
            latency,
            sha256,
            swapError));
  }

  static String routedVersion() {
    List<ServiceRoute> r = routes.get("shop.swapper.Api");
    return r == null
        ? null
        : r.get(0).versions().stream().map(VersionRoute::version).findFirst().orElse(null);
  }

  @Test
  void aVersionChangeIsSwappedInPlaceAndFollowsWhatThePodsReport() {
    Plugin p = TestPlugins.withReplicas(TestPlugins.jarPlugin(NS, "swapper"), 2, null, null);
    Rollout rollout = new Rollout();
    rollout.setStrategy(RolloutStrategy.HotSwap);
    p.getSpec().setRollout(rollout);
    client.resource(p).create();

    await().atMost(Duration.ofSeconds(20)).until(() -> podNames("swapper").size() == 2);
    Set<String> pods = podNames("swapper");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(NS);
              pods.forEach(pod -> report(pod, "1.0.0", TestPlugins.SHA, null));
              assertThat(condition("swapper", Condition.READY).getStatus())
                  .isEqualTo(Condition.TRUE);
              assertThat(condition("swapper", Condition.PROGRESSING).getReason())
                  .isEqualTo(PluginStatusAggregator.COMPLETE);
            });
    assertThat(controlRecords)
        .filteredOn(d -> d.plugin().equals("swapper"))
        .singleElement()
        .satisfies(d -> assertThat(d.version()).isEqualTo("1.0.0"));
    Pod pod = client.pods().inNamespace(NS).withName(pods.iterator().next()).get();
    assertThat(pod.getSpec().getContainers().get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo(RuntimeContract.ENV_HOT_SWAP);
              assertThat(e.getValue()).isEqualTo("true");
            });

    // The user changes the version: a control record, no new pod.
    client
        .resources(Plugin.class)
        .inNamespace(NS)
        .withName("swapper")
        .edit(
            edited -> {
              edited.getSpec().setVersion("2.0.0");
              edited
                  .getSpec()
                  .setArtifact(Artifact.ofJar("https://repo.example.com/swapper-2.jar", SHA2));
              return edited;
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(controlRecords)
                    .filteredOn(d -> d.plugin().equals("swapper"))
                    .last()
                    .satisfies(
                        d -> {
                          assertThat(d.version()).isEqualTo("2.0.0");
                          assertThat(d.sha256()).isEqualTo(SHA2);
                          assertThat(d.jarUrl()).endsWith("swapper-2.jar");
                          assertThat(d.generation()).isEqualTo(2);
                        }));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              pods.forEach(pod2 -> report(pod2, "1.0.0", TestPlugins.SHA, null));
              Condition progressing = condition("swapper", Condition.PROGRESSING);
              assertThat(progressing.getReason()).isEqualTo(PluginStatusAggregator.HOT_SWAP);
              assertThat(progressing.getMessage()).contains("0 of 2 Ready pods run it");
            });
    assertThat(podNames("swapper")).as("no pod recreated").isEqualTo(pods);
    assertThat(get("swapper").getStatus().getVersions())
        .singleElement()
        .satisfies(v -> assertThat(v.getVersion()).as("still serving").isEqualTo("1.0.0"));
    assertThat(routedVersion()).isEqualTo("1.0.0");

    // One pod swaps, the other fails to: Degraded says why, 1.0.0 is still what is served.
    String[] names = pods.stream().sorted().toArray(String[]::new);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              report(names[0], "2.0.0", SHA2, null);
              report(
                  names[1], "1.0.0", TestPlugins.SHA, "ChecksumMismatch: the jar has SHA-256 0a");
              Condition degraded = condition("swapper", Condition.DEGRADED);
              assertThat(degraded.getStatus()).isEqualTo(Condition.TRUE);
              assertThat(degraded.getReason()).isEqualTo(PluginStatusAggregator.HOT_SWAP_FAILED);
              assertThat(degraded.getMessage()).contains(names[1]).contains("ChecksumMismatch");
              assertThat(condition("swapper", Condition.PROGRESSING).getReason())
                  .isEqualTo(PluginStatusAggregator.HOT_SWAP_FAILED);
            });
    assertThat(routedVersion()).isEqualTo("1.0.0");

    // Both run 2.0.0: complete, and the route table and status say 2.0.0.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              report(names[0], "2.0.0", SHA2, null);
              report(names[1], "2.0.0", SHA2, null);
              assertThat(condition("swapper", Condition.PROGRESSING).getReason())
                  .isEqualTo(PluginStatusAggregator.COMPLETE);
              assertThat(condition("swapper", Condition.DEGRADED).getStatus())
                  .isEqualTo(Condition.FALSE);
              assertThat(get("swapper").getStatus().getVersions())
                  .singleElement()
                  .satisfies(v -> assertThat(v.getVersion()).isEqualTo("2.0.0"));
              assertThat(routedVersion()).isEqualTo("2.0.0");
            });
    assertThat(podNames("swapper")).as("no pod recreated").isEqualTo(pods);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace(NS).list().getItems())
                    .extracting(e -> e.getReason())
                    .contains(
                        PluginEvents.HOT_SWAP_REQUESTED,
                        PluginEvents.HOT_SWAP_FAILED,
                        PluginEvents.HOT_SWAP_FINISHED)
                    .doesNotContain(PluginEvents.ROLLOUT_STARTED));
  }

  @Test
  void aControlTopicCreatedAgainGetsTheRecordOfAPluginThatHadPublishedOnTheOldOne() {
    String ns = "reborn";
    cluster.createNamespace(ns);
    Plugin p = TestPlugins.jarPlugin(ns, "phoenix");
    Rollout rollout = new Rollout();
    rollout.setStrategy(RolloutStrategy.HotSwap);
    p.getSpec().setRollout(rollout);
    client.resource(p).create();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> controlRecords.stream().filter(d -> d.plugin().equals("phoenix")).count() == 1);

    // The namespace's last Plugin took the control topic with it while phoenix was being created;
    // phoenix's next check creates the topic again, and the record goes on the new topic.
    controlTopicRecreatedFor.add("phoenix");
    client.resource(TestPlugins.jarPlugin(ns, "witness")).create(); // wakes phoenix up
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(controlRecords)
                    .filteredOn(d -> d.plugin().equals("phoenix"))
                    .hasSize(2)
                    .allSatisfy(d -> assertThat(d.version()).isEqualTo("1.0.0")));
    assertThat(controlTopicRecreatedFor).isEmpty();
  }
}
