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
import io.corebus.crds.VersionStatus;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.bus.RequestBacklog;
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
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Canary plug-in's version change on the mock API server, with the runtimes' telemetry fed to the
 * operator directly: the new version takes exactly 10, 50 then 100 percent on a request lane of its
 * own and is promoted, or, when it fails, is rolled back.
 */
class CanaryRolloutTest {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  static final String SERVICE = "shop.payment.Api";

  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  static MockCluster cluster;
  static RunningOperator operator;
  static KubernetesClient client;
  static TestKubelet kubelet;
  static final PluginTelemetry telemetry =
      new PluginTelemetry(Duration.ofSeconds(30), Duration.ofSeconds(10), Clock.systemUTC());

  /** Every route list the operator handed over, in order. */
  static final List<List<ServiceRoute>> published = new CopyOnWriteArrayList<>();

  static PluginScaler scaler;
  static PluginRoutes routes;

  String ns;

  @BeforeAll
  static void startOperator() {
    cluster = MockCluster.start();
    client = cluster.client();
    kubelet = new TestKubelet(client);
    // Kafka's answer for a retiring lane: drained.
    RequestBacklog backlog =
        new RequestBacklog() {
          @Override
          public Optional<Backlog> of(Plugin plugin) {
            return Optional.empty();
          }

          @Override
          public Optional<Long> waitingOn(Plugin plugin, List<String> topics) {
            return Optional.of(0L);
          }
        };
    routes =
        new PluginRoutes() {
          @Override
          public void publish(Plugin plugin, List<ServiceRoute> r) {
            published.add(r);
          }

          @Override
          public void withdraw(Plugin plugin, List<String> services) {}
        };
    scaler =
        new PluginScaler(
            telemetry,
            backlog,
            new PluginMetrics(new SimpleMeterRegistry()),
            Duration.ofSeconds(5),
            Duration.ofSeconds(15),
            Clock.systemUTC());
    operator = RunningOperator.start(cluster, SETTINGS, PluginTopics.NONE, routes, scaler);
  }

  @AfterAll
  static void stopOperator() {
    operator.close();
    cluster.close();
  }

  @BeforeEach
  void namespace() {
    ns = "canary-" + NAMESPACES.incrementAndGet();
    cluster.createNamespace(ns);
    published.clear();
  }

  Plugin canaryPlugin() {
    return canaryPlugin(1);
  }

  Plugin canaryPlugin(int firstStepSeconds) {
    Plugin p = TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, "payment"), 2, 2, null);
    CanaryRollout canary = new CanaryRollout();
    canary.setSteps(
        List.of(
            new CanaryStep(10, firstStepSeconds), new CanaryStep(50, 1), new CanaryStep(100, 1)));
    canary.setMaxErrorRateIncreasePercent(1);
    canary.setMaxLatencyRatioPercent(150);
    Rollout rollout = new Rollout();
    rollout.setStrategy(RolloutStrategy.Canary);
    rollout.setCanary(canary);
    p.getSpec().setRollout(rollout);
    return p;
  }

  Plugin get() {
    return client.resources(Plugin.class).inNamespace(ns).withName("payment").get();
  }

  List<Pod> livePods() {
    return client
        .pods()
        .inNamespace(ns)
        .withLabel("corebus.io/plugin", "payment")
        .list()
        .getItems()
        .stream()
        .filter(p -> !PodState.isTerminating(p))
        .toList();
  }

  /**
   * What the runtimes would report now: every Ready pod served 50 requests in the last second;
   * those of {@code failingRevision} failed half of them. Each reports its pod's version.
   */
  void report(String failingRevision) {
    long now = System.currentTimeMillis();
    for (Pod p : livePods()) {
      if (!PodState.isReady(p)) {
        continue;
      }
      long[] latency = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
      latency[3] = 50;
      telemetry.record(
          new TelemetryReport(
              ns,
              "payment",
              PodState.version(p),
              PodState.revision(p),
              p.getMetadata().getName(),
              now,
              1000,
              50,
              PodState.revision(p).equals(failingRevision) ? 25 : 0,
              0,
              0,
              0,
              0,
              latency));
    }
  }

  List<Event> events(String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  String runningVersion1() {
    return runningVersion1(canaryPlugin());
  }

  String runningVersion1(Plugin plugin) {
    Plugin p = client.resource(plugin).create();
    String revision = PluginRevision.of(p.getSpec(), SETTINGS);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              Plugin now = get();
              assertThat(now.getStatus()).isNotNull();
              Condition progressing = now.getStatus().condition(Condition.PROGRESSING);
              assertThat(progressing).isNotNull();
              assertThat(progressing.getReason()).isEqualTo("Complete");
              assertThat(now.getStatus().getReadyReplicas()).isEqualTo(2);
            });
    return revision;
  }

  String changeVersion(String version) {
    Plugin edited =
        client
            .resources(Plugin.class)
            .inNamespace(ns)
            .withName("payment")
            .edit(
                p -> {
                  p.getSpec().setVersion(version);
                  return p;
                });
    return PluginRevision.of(edited.getSpec(), SETTINGS);
  }

  /** The canary's weight in a published route, or -1 when the route does not list it. */
  static int weightOf(List<ServiceRoute> routes, String revision) {
    return routes.get(0).versions().stream()
        .filter(v -> v.revision().equals(revision))
        .mapToInt(VersionRoute::weight)
        .findFirst()
        .orElse(-1);
  }

  @Test
  void aHealthyCanaryTakesTenThenFiftyThenAllRequestsOnItsOwnLaneAndIsPromoted() {
    String v1 = runningVersion1();
    String v2 = changeVersion("2.0.0");
    BusTopics names = BusTopics.forNamespace(ns);

    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              report(null);
              Plugin p = get();
              CanaryStatus canary = p.getStatus().getCanary();
              assertThat(canary).isNotNull();
              assertThat(canary.getPhase()).isEqualTo(CanaryStatus.PROMOTED);
              assertThat(livePods()).allMatch(pod -> v2.equals(PodState.revision(pod)));
              assertThat(livePods()).hasSize(2);
              assertThat(p.getStatus().condition(Condition.PROGRESSING).getReason())
                  .isEqualTo("Complete");
            });

    // The route gave the canary exactly each step's weight, on its own topic, next to the
    // stable version on the service's usual topic.
    List<ServiceRoute> tenPercent =
        published.stream().filter(r -> weightOf(r, v2) == 10).findFirst().orElseThrow();
    assertThat(tenPercent.get(0).versions())
        .extracting(VersionRoute::revision, VersionRoute::weight, VersionRoute::topic)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(v2, 10, names.alternateRequests(SERVICE)),
            org.assertj.core.groups.Tuple.tuple(v1, 90, names.requests(SERVICE)));
    assertThat(published.stream().map(r -> weightOf(r, v2)).distinct().toList())
        .containsSubsequence(10, 50, 100);
    List<ServiceRoute> last = published.get(published.size() - 1);
    assertThat(last.get(0).versions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.revision()).isEqualTo(v2);
              assertThat(v.weight()).isEqualTo(100);
              assertThat(v.topic()).isEqualTo(names.alternateRequests(SERVICE));
            });
    assertThat(livePods()).allMatch(pod -> RequestLane.of(pod) == RequestLane.B);

    assertThat(events(CanaryRollouts.CANARY_STEP))
        .extracting(Event::getMessage)
        .anyMatch(m -> m.contains("advanced to 50%"))
        .anyMatch(m -> m.contains("advanced to 100%"));
    assertThat(events(CanaryRollouts.CANARY_PROMOTED))
        .singleElement()
        .satisfies(e -> assertThat(e.getType()).isEqualTo("Normal"));
    assertThat(events(CanaryRollouts.CANARY_ROLLED_BACK)).isEmpty();
  }

  @Test
  void aFailingCanaryIsRolledBackAndTheStableVersionServesEverythingAgain() {
    String v1 = runningVersion1();
    String v2 = changeVersion("2.0.0");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              report(v2);
              Plugin p = get();
              CanaryStatus canary = p.getStatus().getCanary();
              assertThat(canary).isNotNull();
              assertThat(canary.getPhase()).isEqualTo(CanaryStatus.ROLLED_BACK);
              assertThat(livePods()).allMatch(pod -> v1.equals(PodState.revision(pod)));
              assertThat(livePods()).hasSize(2);
            });

    Plugin p = get();
    Condition progressing = p.getStatus().condition(Condition.PROGRESSING);
    assertThat(progressing.getReason()).isEqualTo(CanaryRollouts.CANARY_ROLLED_BACK);
    assertThat(p.getStatus().getCanary().getVerdict()).isEqualTo("Rollback");
    assertThat(p.getStatus().getVersions())
        .extracting(VersionStatus::getRevision, VersionStatus::getWeight, VersionStatus::getRole)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(v1, 100, "stable"));
    assertThat(events(CanaryRollouts.CANARY_ROLLED_BACK))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getMessage()).contains("error rate 50.00%");
            });
    List<ServiceRoute> last = published.get(published.size() - 1);
    assertThat(last.get(0).versions())
        .extracting(VersionRoute::revision, VersionRoute::weight)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(v1, 100));
    assertThat(weightOf(last, v2)).isEqualTo(-1);

    // The rolled-back revision stays rolled back: no second attempt while the spec names it.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(livePods()).allMatch(pod -> v1.equals(PodState.revision(pod))));
    assertThat(events(CanaryRollouts.CANARY_STARTED)).hasSize(1);
  }

  @Test
  void aFailingChangeThatKeepsTheVersionIsToldApartByRevisionAndRolledBack() {
    String v1 = runningVersion1();
    // New env, same spec.version: both revisions report 1.0.0.
    Plugin edited =
        client
            .resources(Plugin.class)
            .inNamespace(ns)
            .withName("payment")
            .edit(
                p -> {
                  p.getSpec().setEnv(List.of(new EnvVar("PAYMENT_FAIL_PERCENT", "50", null)));
                  return p;
                });
    String v2 = PluginRevision.of(edited.getSpec(), SETTINGS);
    assertThat(v2).isNotEqualTo(v1);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              report(v2);
              CanaryStatus canary = get().getStatus().getCanary();
              assertThat(canary).isNotNull();
              assertThat(canary.getCanaryVersion()).isEqualTo(get().getSpec().getVersion());
              assertThat(canary.getPhase()).isEqualTo(CanaryStatus.ROLLED_BACK);
              assertThat(livePods()).allMatch(pod -> v1.equals(PodState.revision(pod)));
            });
    // Judged on the new revision's own figures, not both revisions' mixed under one version.
    assertThat(events(CanaryRollouts.CANARY_ROLLED_BACK))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains("error rate 50.00% vs stable 0.00%"));
  }

  @Test
  void aRestartedOperatorContinuesTheCanaryAtTheSameStep() {
    runningVersion1(canaryPlugin(10));
    String v2 = changeVersion("2.0.0");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              report(null);
              CanaryStatus running = get().getStatus().getCanary();
              assertThat(running).isNotNull();
              assertThat(running.getStepStartTime()).isNotNull();
            });
    CanaryStatus before = get().getStatus().getCanary();
    assertThat(before.getStep()).isZero();

    operator.close();
    operator = RunningOperator.start(cluster, SETTINGS, PluginTopics.NONE, routes, scaler);

    // The new operator's first look keeps the step and its window's start.
    await().atMost(Duration.ofSeconds(20)).until(() -> operator.reconciles(ns, "payment") >= 2);
    CanaryStatus after = get().getStatus().getCanary();
    assertThat(after.getPhase()).isEqualTo(CanaryStatus.PROGRESSING);
    assertThat(after.getStep()).isZero();
    assertThat(after.getStepStartTime()).isEqualTo(before.getStepStartTime());

    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              report(null);
              CanaryStatus now = get().getStatus().getCanary();
              assertThat(now).isNotNull();
              assertThat(now.getPhase()).isEqualTo(CanaryStatus.PROMOTED);
              assertThat(livePods()).allMatch(pod -> v2.equals(PodState.revision(pod)));
            });
    assertThat(events(CanaryRollouts.CANARY_STARTED)).hasSize(1);
    assertThat(events(CanaryRollouts.CANARY_PROMOTED)).hasSize(1);
  }
}
