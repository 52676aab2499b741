package io.corebus.operator.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.PodTimeline;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.validation.Problem;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator against the mock API server: what a user sees after kubectl apply. */
class PluginLifecycleTest {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  static MockCluster cluster;
  static RunningOperator operator;
  static KubernetesClient client;
  static TestKubelet kubelet;
  String ns;

  @BeforeAll
  static void startOperator() {
    cluster = MockCluster.start();
    client = cluster.client();
    kubelet = new TestKubelet(client);
    operator = RunningOperator.start(cluster, SETTINGS);
  }

  @AfterAll
  static void stopOperator() {
    operator.close();
    cluster.close();
  }

  @BeforeEach
  void namespace() {
    ns = "lifecycle-" + NAMESPACES.incrementAndGet();
    cluster.createNamespace(ns);
  }

  // ---- helpers ----

  Plugin apply(Plugin p) {
    return client.resource(p).create();
  }

  Plugin get(String name) {
    return client.resources(Plugin.class).inNamespace(ns).withName(name).get();
  }

  List<Pod> pods(String plugin) {
    return client.pods().inNamespace(ns).withLabel("corebus.io/plugin", plugin).list().getItems();
  }

  Set<String> podNames(String plugin) {
    return pods(plugin).stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
  }

  static Condition condition(Plugin p, String type) {
    return p == null || p.getStatus() == null ? null : p.getStatus().condition(type);
  }

  void awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(ns);
              Condition ready = condition(get(name), Condition.READY);
              assertThat(ready).isNotNull();
              assertThat(ready.getStatus()).isEqualTo(Condition.TRUE);
              Plugin p = get(name);
              assertThat(p.getStatus().getObservedGeneration())
                  .isEqualTo(p.getMetadata().getGeneration());
              assertThat(condition(p, Condition.PROGRESSING).getReason()).isEqualTo("Complete");
            });
  }

  static Plugin plugin(String ns, String name, int min, Integer max) {
    return TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, name), min, max, null);
  }

  static Map<String, String> env(Pod pod) {
    Container c = pod.getSpec().getContainers().get(0);
    return c.getEnv().stream()
        .filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  // ---- tests ----

  @Test
  void aNewPluginGetsPodsServiceBudgetConfigMapAndBecomesReady() {
    Plugin p = plugin(ns, "payment", 2, 3);
    p.getSpec().setConfig(Map.of("greeting", "hello"));
    apply(p);
    String revision = PluginRevision.of(p.getSpec(), SETTINGS);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(podNames("payment"))
                    .containsExactlyInAnyOrder(
                        "payment-" + revision + "-0", "payment-" + revision + "-1"));
    Pod pod = client.pods().inNamespace(ns).withName("payment-" + revision + "-0").get();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "corebus-operator")
        .containsEntry("app.kubernetes.io/version", "1.0.0")
        .containsEntry("corebus.io/revision", revision)
        .containsEntry("corebus.io/ordinal", "0");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo("payment"));
    Container runtime = pod.getSpec().getContainers().get(0);
    assertThat(runtime.getName()).isEqualTo(RuntimeContract.CONTAINER_NAME);
    assertThat(runtime.getImage()).isEqualTo("corebus/plugin-runtime:test");
    assertThat(env(pod))
        .containsEntry(RuntimeContract.ENV_PLUGIN_NAME, "payment")
        .containsEntry(RuntimeContract.ENV_KAFKA_BOOTSTRAP, "kafka:9092")
        .containsEntry(RuntimeContract.ENV_PROVIDES, "shop.payment.Api")
        .containsEntry(RuntimeContract.ENV_REVISION, revision);
    assertThat(runtime.getReadinessProbe().getHttpGet().getPath())
        .isEqualTo(RuntimeContract.READINESS_PATH);
    assertThat(runtime.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(client.services().inNamespace(ns).withName("payment").get()).isNotNull();
              assertThat(
                      client
                          .policy()
                          .v1()
                          .podDisruptionBudget()
                          .inNamespace(ns)
                          .withName("payment")
                          .get())
                  .isNotNull();
              assertThat(
                      client
                          .configMaps()
                          .inNamespace(ns)
                          .withName("payment-config")
                          .get()
                          .getData())
                  .containsEntry("greeting", "hello");
            });
    Plugin before = get("payment");
    assertThat(condition(before, Condition.READY).getStatus()).isEqualTo(Condition.FALSE);
    assertThat(condition(before, Condition.READY).getReason()).isEqualTo("PodsNotReady");

    awaitReady("payment");
    Plugin ready = get("payment");
    assertThat(ready.getStatus().getReplicas()).isEqualTo(2);
    assertThat(ready.getStatus().getReadyReplicas()).isEqualTo(2);
    assertThat(ready.getStatus().getUpdateRevision()).isEqualTo(revision);
    assertThat(ready.getStatus().getSelector()).contains("corebus.io/plugin=payment");
    assertThat(ready.getStatus().getVersions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getVersion()).isEqualTo("1.0.0");
              assertThat(v.getReadyReplicas()).isEqualTo(2);
              assertThat(v.getWeight()).isEqualTo(100);
            });
    assertThat(ready.getMetadata().getFinalizers()).contains(PluginReconciler.FINALIZER);
  }

  @Test
  void aDisruptionBudgetExistsOnlyWhileMoreThanOnePodIsAllowed() {
    Plugin single = plugin(ns, "single", 1, null);
    single.getSpec().setRollout(new io.corebus.crds.Rollout());
    single.getSpec().getRollout().setStrategy(io.corebus.crds.RolloutStrategy.HotSwap);
    apply(single);
    awaitReady("single");
    assertThat(client.services().inNamespace(ns).withName("single").get()).isNotNull();
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("single").get())
        .isNull();
    // Accepted and implemented: no "rolled as Rolling" note.
    assertThat(condition(get("single"), Condition.READY).getMessage())
        .doesNotContain("not implemented");

    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("single")
        .edit(
            p -> {
              p.getSpec().getReplicas().setMax(3);
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .policy()
                            .v1()
                            .podDisruptionBudget()
                            .inNamespace(ns)
                            .withName("single")
                            .get())
                    .isNotNull());
    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("single")
        .edit(
            p -> {
              p.getSpec().getReplicas().setMax(null);
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .policy()
                            .v1()
                            .podDisruptionBudget()
                            .inNamespace(ns)
                            .withName("single")
                            .get())
                    .isNull());
    assertThat(pods("single")).hasSize(1);
  }

  @Test
  void aBadEditFreezesTheRunningPodsUntilItIsFixed() {
    apply(plugin(ns, "steady", 2, null));
    awaitReady("steady");
    Map<String, String> uids =
        pods("steady").stream()
            .collect(
                Collectors.toMap(p -> p.getMetadata().getName(), p -> p.getMetadata().getUid()));

    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("steady")
        .edit(
            p -> {
              p.getSpec().setVersion("2.0.0");
              p.getSpec()
                  .setEnv(List.of(new EnvVar("COREBUS_KAFKA_BOOTSTRAP", "elsewhere:9092", null)));
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Plugin p = get("steady");
              assertThat(p.getStatus().getObservedGeneration())
                  .isEqualTo(p.getMetadata().getGeneration());
              Condition ready = condition(p, Condition.READY);
              assertThat(ready.getStatus()).isEqualTo(Condition.FALSE);
              assertThat(ready.getReason()).isEqualTo(Problem.RESERVED_ENV_NAME);
              assertThat(ready.getMessage())
                  .contains("COREBUS_KAFKA_BOOTSTRAP")
                  .contains("left as they are");
              assertThat(condition(p, Condition.PROGRESSING).getReason()).isEqualTo("Blocked");
            });
    // The running version keeps running: same pods, no new revision.
    assertThat(
            pods("steady").stream()
                .collect(
                    Collectors.toMap(
                        p -> p.getMetadata().getName(), p -> p.getMetadata().getUid())))
        .isEqualTo(uids);

    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("steady")
        .edit(
            p -> {
              p.getSpec().setEnv(List.of());
              return p;
            });
    awaitReady("steady");
    assertThat(get("steady").getStatus().getVersions())
        .singleElement()
        .satisfies(v -> assertThat(v.getVersion()).isEqualTo("2.0.0"));
  }

  @Test
  void scalesUpAndDown() {
    apply(plugin(ns, "scaler", 1, 5));
    awaitReady("scaler");
    assertThat(pods("scaler")).hasSize(1);

    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("scaler")
        .edit(
            p -> {
              p.getSpec().getReplicas().setDesired(4);
              return p;
            });
    awaitReady("scaler");
    assertThat(pods("scaler"))
        .extracting(p -> p.getMetadata().getLabels().get("corebus.io/ordinal"))
        .containsExactlyInAnyOrder("0", "1", "2", "3");
    assertThat(get("scaler").getStatus().getReadyReplicas()).isEqualTo(4);

    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("scaler")
        .edit(
            p -> {
              p.getSpec().getReplicas().setDesired(null);
              p.getSpec().getReplicas().setMin(2);
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(pods("scaler"))
                    .extracting(p -> p.getMetadata().getLabels().get("corebus.io/ordinal"))
                    .containsExactlyInAnyOrder("0", "1"));
    awaitReady("scaler");
    assertThat(get("scaler").getStatus().getReplicas()).isEqualTo(2);
  }

  @Test
  void aDeletedPodIsRecreatedAndAFailedPodIsReplaced() {
    apply(plugin(ns, "healer", 2, null));
    awaitReady("healer");
    Set<String> names = podNames("healer");
    String first = names.stream().sorted().findFirst().orElseThrow();
    String firstUid = client.pods().inNamespace(ns).withName(first).get().getMetadata().getUid();

    client.pods().inNamespace(ns).withName(first).delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Pod again = client.pods().inNamespace(ns).withName(first).get();
              assertThat(again).isNotNull();
              assertThat(again.getMetadata().getUid()).isNotEqualTo(firstUid);
            });
    awaitReady("healer");

    String second = names.stream().sorted().skip(1).findFirst().orElseThrow();
    String secondUid = client.pods().inNamespace(ns).withName(second).get().getMetadata().getUid();
    kubelet.markFailed(ns, second);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Pod again = client.pods().inNamespace(ns).withName(second).get();
              assertThat(again).isNotNull();
              assertThat(again.getMetadata().getUid()).isNotEqualTo(secondUid);
            });
    awaitReady("healer");
    assertThat(podNames("healer")).isEqualTo(names);
  }

  @Test
  void aPodRefusingItsJarMakesThePluginSayWhyOnceAndRecovers() {
    apply(plugin(ns, "badjar", 1, null));
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("badjar").size() == 1);
    String pod = pods("badjar").get(0).getMetadata().getName();
    kubelet.markCrashLooping(
        ns,
        pod,
        "ChecksumMismatch: the plug-in jar from http://jars/badjar.jar has SHA-256 aa but the"
            + " Plugin expects bb; refusing to load it");

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Plugin p = get("badjar");
              assertThat(condition(p, Condition.READY).getReason())
                  .isEqualTo("ArtifactChecksumMismatch");
              assertThat(condition(p, Condition.READY).getMessage())
                  .contains("pod " + pod + ": ChecksumMismatch: the plug-in jar from");
              assertThat(condition(p, Condition.DEGRADED).getStatus()).isEqualTo(Condition.TRUE);
              assertThat(client.v1().events().inNamespace(ns).list().getItems())
                  .filteredOn(e -> "ArtifactChecksumMismatch".equals(e.getReason()))
                  .singleElement()
                  .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
            });

    kubelet.markAllReady(ns);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Plugin p = get("badjar");
              assertThat(condition(p, Condition.READY).getReason()).isEqualTo("PodsReady");
              assertThat(condition(p, Condition.DEGRADED).getStatus()).isEqualTo(Condition.FALSE);
              assertThat(client.v1().events().inNamespace(ns).list().getItems())
                  .extracting(e -> e.getReason())
                  .containsOnlyOnce("ArtifactChecksumMismatch", PluginEvents.PODS_RECOVERED);
            });
  }

  @Test
  void aVersionChangeRollsOnePodAtATimeNewPodFirst() {
    apply(plugin(ns, "roller", 3, null));
    awaitReady("roller");
    String oldRevision = get("roller").getStatus().getUpdateRevision();
    Set<String> oldPods = podNames("roller");

    try (PodTimeline timeline = new PodTimeline(client, ns)) {
      Plugin changed =
          client
              .resources(Plugin.class)
              .inNamespace(ns)
              .withName("roller")
              .edit(
                  p -> {
                    p.getSpec().setVersion("1.1.0");
                    return p;
                  });
      String newRevision = PluginRevision.of(changed.getSpec(), SETTINGS);
      assertThat(newRevision).isNotEqualTo(oldRevision);

      List<String> created = new ArrayList<>();
      for (int step = 0; step < 3; step++) {
        // Exactly one new pod appears next to the three old ones; nothing is deleted yet.
        int oldLeft = 3 - step;
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  List<Pod> pods = pods("roller");
                  List<Pod> notReady = pods.stream().filter(p -> !TestKubelet.isReady(p)).toList();
                  assertThat(notReady).hasSize(1);
                  assertThat(notReady.get(0).getMetadata().getLabels())
                      .containsEntry("corebus.io/revision", newRevision);
                  assertThat(pods).hasSize(4);
                  assertThat(
                          pods.stream()
                              .filter(
                                  p ->
                                      oldRevision.equals(
                                          p.getMetadata().getLabels().get("corebus.io/revision"))))
                      .hasSize(oldLeft);
                });
        Pod fresh =
            pods("roller").stream().filter(p -> !TestKubelet.isReady(p)).findFirst().orElseThrow();
        created.add(fresh.getMetadata().getLabels().get("corebus.io/ordinal"));
        if (step == 1) {
          Plugin mid = get("roller");
          assertThat(condition(mid, Condition.PROGRESSING).getReason()).isEqualTo("RollingUpdate");
          assertThat(condition(mid, Condition.READY).getStatus()).isEqualTo(Condition.TRUE);
          assertThat(mid.getStatus().getVersions())
              .extracting(v -> v.getVersion())
              .containsExactly("1.1.0", "1.0.0");
          assertThat(mid.getStatus().getVersions().stream().mapToInt(v -> v.getWeight()).sum())
              .isEqualTo(100);
        }
        // An old pod goes only once the new one is Ready.
        kubelet.markReady(ns, fresh.getMetadata().getName());
        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () ->
                    assertThat(
                            pods("roller").stream()
                                .filter(
                                    p ->
                                        oldRevision.equals(
                                            p.getMetadata()
                                                .getLabels()
                                                .get("corebus.io/revision"))))
                        .hasSize(oldLeft - 1));
      }
      awaitReady("roller");
      assertThat(created).containsExactly("0", "1", "2");
      assertThat(podNames("roller"))
          .doesNotContainAnyElementsOf(oldPods)
          .containsExactlyInAnyOrder(
              "roller-" + newRevision + "-0",
              "roller-" + newRevision + "-1",
              "roller-" + newRevision + "-2");

      List<PodTimeline.Moment> moments = timeline.moments();
      assertThat(moments).isNotEmpty();
      assertThat(moments)
          .allSatisfy(
              m -> {
                assertThat(m.ready())
                    .as("ready pods after %s %s", m.action(), m.pod())
                    .isGreaterThanOrEqualTo(3);
                assertThat(m.duplicates()).isEmpty();
              });
      // Deletions only ever remove old pods, each after a new pod became Ready.
      assertThat(
              moments.stream()
                  .filter(m -> m.action().equals("DELETED"))
                  .map(PodTimeline.Moment::pod))
          .containsExactlyInAnyOrderElementsOf(oldPods);
    }
    Plugin done = get("roller");
    assertThat(done.getStatus().getVersions())
        .singleElement()
        .satisfies(v -> assertThat(v.getVersion()).isEqualTo("1.1.0"));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(client.v1().events().inNamespace(ns).list().getItems())
                    .extracting(e -> e.getReason())
                    .contains(
                        PluginEvents.ROLLOUT_STARTED,
                        PluginEvents.POD_REPLACED,
                        PluginEvents.ROLLOUT_FINISHED));
  }

  @Test
  void aConfigChangeReachesTheConfigMapWithoutRestartingPods() {
    apply(plugin(ns, "configured", 2, null));
    awaitReady("configured");
    Set<String> pods = podNames("configured");
    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("configured")
        .edit(
            p -> {
              p.getSpec().setConfig(Map.of("rate", "5"));
              return p;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .configMaps()
                            .inNamespace(ns)
                            .withName("configured-config")
                            .get()
                            .getData())
                    .containsEntry("rate", "5"));
    awaitReady("configured");
    assertThat(podNames("configured")).isEqualTo(pods);
  }

  @Test
  void aSemanticErrorIsReportedAndOtherPluginsAreUnaffected() {
    Plugin owner = plugin(ns, "alpha-owner", 1, null);
    owner.getSpec().setProvides(List.of(new ProvidedService("shop.Pay")));
    apply(owner);
    awaitReady("alpha-owner");

    // Created after alpha-owner (same second at worst: then the name decides, alpha first).
    Plugin duplicate = plugin(ns, "beta-copy", 1, null);
    duplicate.getSpec().setProvides(List.of(new ProvidedService("shop.Pay")));
    apply(duplicate);

    Plugin badTemplate = plugin(ns, "sneaky", 1, null);
    badTemplate
        .getSpec()
        .setPodTemplate(
            new PodTemplateSpecBuilder()
                .withNewSpec()
                .addNewContainer()
                .withName("debug")
                .withImage("busybox")
                .withNewSecurityContext()
                .withPrivileged(true)
                .endSecurityContext()
                .endContainer()
                .endSpec()
                .build());
    apply(badTemplate);

    Plugin good = plugin(ns, "bystander", 1, null);
    apply(good);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Condition dup = condition(get("beta-copy"), Condition.READY);
              assertThat(dup).isNotNull();
              assertThat(dup.getStatus()).isEqualTo(Condition.FALSE);
              assertThat(dup.getReason()).isEqualTo(Problem.DUPLICATE_SERVICE_PROVIDER);
              assertThat(dup.getMessage()).contains("shop.Pay").contains("'alpha-owner'");
              Condition bad = condition(get("sneaky"), Condition.READY);
              assertThat(bad).isNotNull();
              assertThat(bad.getReason()).isEqualTo(Problem.INVALID_POD_TEMPLATE);
              assertThat(bad.getMessage()).contains("privileged");
            });
    awaitReady("bystander");
    awaitReady("alpha-owner");
    assertThat(pods("beta-copy")).isEmpty();
    assertThat(pods("sneaky")).isEmpty();
    assertThat(pods("alpha-owner")).hasSize(1);
    assertThat(pods("bystander")).hasSize(1);
    assertThat(client.v1().events().inNamespace(ns).list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo(PluginEvents.VALIDATION_FAILED);
              assertThat(e.getInvolvedObject().getName()).isEqualTo("beta-copy");
            });

    // Fixing the Plugin lets it run.
    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .withName("sneaky")
        .edit(
            p -> {
              p.getSpec().setPodTemplate(null);
              return p;
            });
    awaitReady("sneaky");
    // When the owner goes, the waiting provider takes the service over.
    client.resources(Plugin.class).inNamespace(ns).withName("alpha-owner").delete();
    awaitReady("beta-copy");
    assertThat(pods("beta-copy")).hasSize(1);
  }

  @Test
  void unresolvedRequiresShowAsDegradedUntilAProviderAppears() {
    Plugin caller = plugin(ns, "caller", 1, null);
    caller.getSpec().setRequires(List.of("shop.stock.Api"));
    apply(caller);
    awaitReady("caller");
    Plugin p = get("caller");
    assertThat(condition(p, Condition.DEGRADED).getStatus()).isEqualTo(Condition.TRUE);
    assertThat(condition(p, Condition.DEGRADED).getReason()).isEqualTo("UnresolvedRequires");
    assertThat(condition(p, Condition.READY).getMessage()).contains("shop.stock.Api");

    apply(plugin(ns, "stock", 1, null)); // provides shop.stock.Api
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(condition(get("caller"), Condition.DEGRADED).getStatus())
                    .isEqualTo(Condition.FALSE));
  }

  @Test
  void deletingAPluginRemovesEverythingAndReleasesIt() {
    apply(plugin(ns, "leaving", 2, 3));
    awaitReady("leaving");
    assertThat(pods("leaving")).hasSize(2);

    client.resources(Plugin.class).inNamespace(ns).withName("leaving").delete();
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(get("leaving")).isNull();
              assertThat(pods("leaving")).isEmpty();
              assertThat(client.services().inNamespace(ns).withName("leaving").get()).isNull();
              assertThat(
                      client
                          .policy()
                          .v1()
                          .podDisruptionBudget()
                          .inNamespace(ns)
                          .withName("leaving")
                          .get())
                  .isNull();
              assertThat(client.configMaps().inNamespace(ns).withName("leaving-config").get())
                  .isNull();
            });
  }

  @Test
  void aConvergedPluginCausesNoWritesAndKeepsItsTransitionTimes() {
    apply(plugin(ns, "quiet", 2, 3));
    awaitReady("quiet");
    Plugin settled = get("quiet");
    Map<String, String> transitions = transitionTimes(settled);
    int reconcilesBefore = operator.reconciles(ns, "quiet");
    cluster.takeRequests();

    // A pod event makes the operator look again; nothing has changed for it.
    String pod = podNames("quiet").iterator().next();
    client
        .pods()
        .inNamespace(ns)
        .withName(pod)
        .edit(
            x -> {
              x.getMetadata().getAnnotations().put("test/touch", "1");
              return x;
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> operator.reconciles(ns, "quiet") > reconcilesBefore);

    List<RecordedRequest> writes =
        cluster.takeRequests().stream()
            .filter(r -> MockCluster.OPERATOR_USER_AGENT.equals(r.getHeader("User-Agent")))
            .filter(r -> !r.getMethod().equals("GET"))
            .toList();
    assertThat(writes).extracting(RecordedRequest::getRequestLine).isEmpty();
    Plugin after = get("quiet");
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(settled.getMetadata().getResourceVersion());
    assertThat(transitionTimes(after)).isEqualTo(transitions);
  }

  static Map<String, String> transitionTimes(Plugin p) {
    return p.getStatus().getConditions().stream()
        .collect(Collectors.toMap(Condition::getType, Condition::getLastTransitionTime));
  }
}
