package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Artifact;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.PluginStatus;
import io.corebus.crds.Replicas;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewSpecBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local API server through fabric8's typed and generic clients. */
class LocalApiServerIT {

  private static final String NS = "api-it";

  @TempDir static Path workDir;
  static LocalApiServer api;
  static KubernetesClient client;

  @BeforeAll
  static void start() {
    api = LocalApiServer.start(new LocalApiServer.Options().namespace(NS).parentDir(workDir));
    client = api.client();
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  private static MixedOperation<Plugin, KubernetesResourceList<Plugin>, Resource<Plugin>>
      plugins() {
    return client.resources(Plugin.class);
  }

  private static Plugin plugin(String name, String version) {
    Plugin p = new Plugin();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    PluginSpec spec = new PluginSpec();
    spec.setVersion(version);
    spec.setArtifact(
        Artifact.ofJar(
            "https://repo.example.com/" + name + ".jar",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    Replicas replicas = new Replicas(1, 5);
    replicas.setDesired(2);
    spec.setReplicas(replicas);
    p.setSpec(spec);
    return p;
  }

  @Test
  void leaderElectionCanRunTheLeaseAccessCheckIsAllowedAndAStaleLeaseUpdateIsAConflict() {
    // What JOSDK's LeaderElectionManager asks before it starts (create, update, get on leases)
    SelfSubjectRulesReview rules = new SelfSubjectRulesReview();
    rules.setSpec(new SelfSubjectRulesReviewSpecBuilder().withNamespace(NS).build());
    SelfSubjectRulesReview answered = client.resource(rules).create();
    assertThat(answered.getStatus().getResourceRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getVerbs()).containsExactly("*");
              assertThat(rule.getApiGroups()).containsExactly("*");
              assertThat(rule.getResources()).containsExactly("*");
              assertThat(rule.getResourceNames()).isEmpty();
            });
    SelfSubjectAccessReview access =
        new SelfSubjectAccessReviewBuilder()
            .withNewSpec()
            .withNewResourceAttributes()
            .withGroup("coordination.k8s.io")
            .withResource("leases")
            .withVerb("update")
            .withNamespace(NS)
            .endResourceAttributes()
            .endSpec()
            .build();
    assertThat(client.resource(access).create().getStatus().getAllowed()).isTrue();

    // Two candidates read the same Lease; only the first update wins, as on a real API server.
    Lease lease =
        client
            .leases()
            .inNamespace(NS)
            .resource(
                new LeaseBuilder()
                    .withNewMetadata()
                    .withName("election-it")
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity("a")
                    .withLeaseDurationSeconds(15)
                    .endSpec()
                    .build())
            .create();
    Lease byB = new LeaseBuilder(lease).editSpec().withHolderIdentity("b").endSpec().build();
    Lease byC = new LeaseBuilder(lease).editSpec().withHolderIdentity("c").endSpec().build();
    client.leases().inNamespace(NS).resource(byB).update();
    assertThatThrownBy(() -> client.leases().inNamespace(NS).resource(byC).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(
            client
                .leases()
                .inNamespace(NS)
                .withName("election-it")
                .get()
                .getSpec()
                .getHolderIdentity())
        .isEqualTo("b");
  }

  @Test
  void pluginsAreCreatedListedWatchedAndTheirStatusGoesThroughTheStatusSubresource() {
    List<String> events = new CopyOnWriteArrayList<>();
    try (Watch watch =
        plugins()
            .inNamespace(NS)
            .withName("orders")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Plugin resource) {
                    events.add(action + " " + resource.getSpec().getVersion());
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      Plugin toCreate = plugin("orders", "1.0.0");
      PluginStatus ignored = new PluginStatus();
      ignored.setQps(99.0);
      toCreate.setStatus(ignored);

      Plugin created = plugins().inNamespace(NS).resource(toCreate).create();

      assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
      assertThat(created.getStatus().getQps()).as("status is not taken on create").isNull();
      assertThat(plugins().inNamespace(NS).list().getItems())
          .extracting(p -> p.getMetadata().getName())
          .contains("orders");

      PluginStatus status = new PluginStatus();
      status.setObservedGeneration(1L);
      status.setReplicas(2);
      status.setQps(12.5);
      status.setConditions(List.of(new Condition("Ready", "True", "AllReady", "2 of 2 ready")));
      created.setStatus(status);
      created.getSpec().setVersion("6.6.6"); // ignored: this goes to /status
      Plugin patched = plugins().inNamespace(NS).resource(created).patchStatus();

      assertThat(patched.getStatus().getQps()).isEqualTo(12.5);
      assertThat(patched.getSpec().getVersion()).isEqualTo("1.0.0");
      assertThat(patched.getMetadata().getGeneration()).isEqualTo(1L);

      Plugin edited =
          plugins()
              .inNamespace(NS)
              .withName("orders")
              .edit(
                  p -> {
                    p.getSpec().setVersion("1.1.0");
                    p.setStatus(null); // ignored: status only changes through /status
                    return p;
                  });
      assertThat(edited.getMetadata().getGeneration()).isEqualTo(2L);
      assertThat(edited.getStatus().getQps()).isEqualTo(12.5);

      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> assertThat(events).contains("ADDED 1.0.0", "MODIFIED 1.0.0", "MODIFIED 1.1.0"));
    }
  }

  @Test
  void theScaleSubresourceReadsAndWritesTheReplicasTheCrdNames() {
    Plugin p = plugins().inNamespace(NS).resource(plugin("search", "2.0.0")).create();
    PluginStatus status = new PluginStatus();
    status.setReplicas(2);
    status.setSelector("corebus.io/plugin=search");
    p.setStatus(status);
    plugins().inNamespace(NS).resource(p).patchStatus();

    Scale scale = plugins().inNamespace(NS).withName("search").scale();
    assertThat(scale.getSpec().getReplicas()).isEqualTo(2);
    assertThat(scale.getStatus().getReplicas()).isEqualTo(2);
    assertThat(scale.getStatus().getSelector()).isEqualTo("corebus.io/plugin=search");

    plugins().inNamespace(NS).withName("search").scale(4);

    Plugin scaled = plugins().inNamespace(NS).withName("search").get();
    assertThat(scaled.getSpec().getReplicas().getDesired()).isEqualTo(4);
    assertThat(scaled.getSpec().getReplicas().getMax()).isEqualTo(5);
    assertThat(scaled.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void theKubeconfigWorksForAFreshClient() throws Exception {
    plugins().inNamespace(NS).resource(plugin("billing", "1.0.0")).create();

    Config config = Config.fromKubeconfig(Files.readString(api.kubeconfig()));
    try (KubernetesClient fresh = new KubernetesClientBuilder().withConfig(config).build()) {
      assertThat(fresh.getNamespace()).isEqualTo(NS);
      assertThat(fresh.getMasterUrl().toString()).startsWith(api.url());
      assertThat(fresh.resources(Plugin.class).withName("billing").get().getSpec().getVersion())
          .isEqualTo("1.0.0");
      // discovery: the generic client finds the plural and scope from the kind
      GenericKubernetesResource generic =
          fresh
              .genericKubernetesResources("corebus.io/v1alpha1", "Plugin")
              .withName("billing")
              .get();
      assertThat(generic.getMetadata().getName()).isEqualTo("billing");
      assertThat(fresh.getApiGroups().getGroups())
          .extracting(g -> g.getName())
          .contains("corebus.io", "policy", "coordination.k8s.io");
    }
  }

  @Test
  void deletingABoundPodIsGracefulAndAnUnboundPodGoesAtOnce() {
    client.pods().inNamespace(NS).resource(pod("bound", "corebus-local")).create();
    client.pods().inNamespace(NS).resource(pod("unbound", null)).create();

    client.pods().inNamespace(NS).withName("bound").delete();
    client.pods().inNamespace(NS).withName("unbound").delete();

    Pod bound = client.pods().inNamespace(NS).withName("bound").get();
    assertThat(bound).as("a kubelet still has to stop it").isNotNull();
    assertThat(bound.getMetadata().getDeletionTimestamp()).isNotNull();
    assertThat(bound.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(7L);
    assertThat(client.pods().inNamespace(NS).withName("unbound").get()).isNull();

    client.pods().inNamespace(NS).withName("bound").withGracePeriod(0).delete();
    assertThat(client.pods().inNamespace(NS).withName("bound").get()).isNull();
  }

  @Test
  void objectsWhoseOwnerIsDeletedAreGarbageCollected() {
    Plugin owner = plugins().inNamespace(NS).resource(plugin("catalog", "1.0.0")).create();
    ConfigMap owned =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("catalog-config")
            .addNewOwnerReference()
            .withApiVersion("corebus.io/v1alpha1")
            .withKind("Plugin")
            .withName("catalog")
            .withUid(owner.getMetadata().getUid())
            .withController(true)
            .endOwnerReference()
            .endMetadata()
            .addToData("k", "v")
            .build();
    client.configMaps().inNamespace(NS).resource(owned).create();
    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder().withNewMetadata().withName("unowned").endMetadata().build())
        .create();

    plugins().inNamespace(NS).withName("catalog").delete();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.configMaps().inNamespace(NS).withName("catalog-config").get() == null);
    assertThat(client.configMaps().inNamespace(NS).withName("unowned").get()).isNotNull();
  }

  @Test
  void setBasedLabelSelectorsAndFieldSelectorsFilterLists() {
    for (String[] p : new String[][] {{"web-1", "web"}, {"api-1", "api"}, {"db-1", "db"}}) {
      Pod pod = pod(p[0], p[0].equals("db-1") ? "other-node" : null);
      pod.getMetadata().setLabels(Map.of("tier", p[1], "selector-test", "yes"));
      client.pods().inNamespace(NS).resource(pod).create();
    }

    assertThat(
            client
                .pods()
                .inNamespace(NS)
                .withLabel("selector-test")
                .withLabelIn("tier", "web", "api")
                .list()
                .getItems())
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("web-1", "api-1");
    assertThat(
            client
                .pods()
                .inNamespace(NS)
                .withLabel("selector-test")
                .withLabelNotIn("tier", "web")
                .list()
                .getItems())
        .extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("api-1", "db-1");
    assertThat(
            client
                .pods()
                .inNamespace(NS)
                .withLabel("selector-test")
                .withField("spec.nodeName", "other-node")
                .list()
                .getItems())
        .extracting(p -> p.getMetadata().getName())
        .containsExactly("db-1");
  }

  @Test
  void mergePatchesDeleteFieldsAndReplaceLists() {
    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("patched")
                .endMetadata()
                .addToData("a", "1")
                .addToData("b", "2")
                .build())
        .create();
    client.pods().inNamespace(NS).resource(pod("patched", null)).create();

    client
        .configMaps()
        .inNamespace(NS)
        .withName("patched")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"data\":{\"b\":null,\"c\":\"3\"}}");
    client
        .pods()
        .inNamespace(NS)
        .withName("patched")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE),
            "{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"example/other:2\"}]}}");

    assertThat(client.configMaps().inNamespace(NS).withName("patched").get().getData())
        .isEqualTo(Map.of("a", "1", "c", "3"));
    assertThat(client.pods().inNamespace(NS).withName("patched").get().getSpec().getContainers())
        .singleElement()
        .satisfies(c -> assertThat(c.getImage()).isEqualTo("example/other:2"));
  }

  @Test
  void conflictsAndMissingObjectsGiveTheUsualErrors() {
    Plugin created = plugins().inNamespace(NS).resource(plugin("conflict", "1.0.0")).create();
    plugins()
        .inNamespace(NS)
        .withName("conflict")
        .edit(
            p -> {
              p.getSpec().setVersion("1.0.1");
              return p;
            });

    created.getSpec().setVersion("9.9.9");
    assertThatThrownBy(() -> plugins().inNamespace(NS).resource(created).update())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThatThrownBy(
            () -> plugins().inNamespace(NS).resource(plugin("conflict", "1.0.0")).create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(plugins().inNamespace(NS).withName("nothing-here").get()).isNull();
  }

  private static Pod pod(String name, String nodeName) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withNodeName(nodeName)
        .withTerminationGracePeriodSeconds(7L)
        .addNewContainer()
        .withName("main")
        .withImage("example/app:1")
        .endContainer()
        .endSpec()
        .build();
  }
}
