package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole local cluster: Kafka, API server, kubelet and an operator process ({@link
 * FakeOperator}, which turns each Plugin into a pod running {@link FakeRuntime}).
 */
class LocalClusterIT {

  private static final String NS = "cluster-it";
  private static final Path JARS = tempDir();

  @RegisterExtension
  static final LocalClusterExtension cluster =
      LocalClusterExtension.perClass(
          new LocalCluster.Options()
              .namespace(NS)
              .kafkaHeap("256m")
              .operatorJar(TestPrograms.fakeOperatorJar(JARS))
              .operatorHeap("128m")
              .operatorEnv("CUSTOM_SETTING", "from-the-test")
              .containerCommand(TestPrograms.fakeRuntime()));

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("local-cluster-it-jars");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theOperatorRunsAgainstTheClustersApiServerAndKafka(LocalCluster local) throws Exception {
    assertThat(local.operator()).isPresent();

    ConfigMap seen =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> local.client().configMaps().inNamespace(NS).withName("fake-operator").get(),
                c -> c != null);

    assertThat(seen.getData())
        .containsEntry("KUBECONFIG", local.kubeconfig().toString())
        .containsEntry("COREBUS_KAFKA_BOOTSTRAP", local.bootstrapServers())
        // what the real operator reads (corebus.kafka.bootstrap-servers)
        .containsEntry("COREBUS_KAFKA_BOOTSTRAP_SERVERS", local.bootstrapServers())
        .containsEntry("QUARKUS_OPERATOR_SDK_ENABLE_SSA", "false")
        .containsEntry("CUSTOM_SETTING", "from-the-test");
    assertThat(local.kubeconfig()).startsWith(local.workDir());
    try (Admin admin = Admin.create(local.kafka().clientProperties())) {
      local.kafka().createTopic("local-cluster-it", 2);
      // The broker's listing shows a new topic a moment after the controller has it.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                      .contains("local-cluster-it"));
    }
  }

  @Test
  void aPluginBecomesARunningPodAndItsPodGoesWithIt(KubernetesClient client) throws Exception {
    Plugin plugin = new Plugin();
    plugin.setMetadata(new ObjectMetaBuilder().withName("greeter").withNamespace(NS).build());
    PluginSpec spec = new PluginSpec();
    spec.setVersion("1.2.3");
    spec.setArtifact(
        Artifact.ofJar(
            "https://repo.example.com/greeter.jar",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    plugin.setSpec(spec);
    client.resources(Plugin.class).inNamespace(NS).resource(plugin).create();

    Pod pod =
        await()
            .atMost(Duration.ofSeconds(40))
            .until(
                () -> client.pods().inNamespace(NS).withName("greeter-0").get(),
                p ->
                    p != null
                        && p.getStatus() != null
                        && p.getStatus().getConditions() != null
                        && p.getStatus().getConditions().stream()
                            .anyMatch(
                                c -> c.getType().equals("Ready") && c.getStatus().equals("True")));
    String env =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://" + pod.getStatus().getPodIP() + ":8080/env"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(env)
        .contains(RuntimeContract.ENV_KAFKA_BOOTSTRAP + "=" + cluster.bootstrapServers())
        .contains(RuntimeContract.ENV_PLUGIN_VERSION + "=1.2.3");
    assertThat(cluster.cluster().logs("greeter-0")).contains("listening on");

    client.resources(Plugin.class).inNamespace(NS).withName("greeter").delete();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> client.pods().inNamespace(NS).withName("greeter-0").get() == null);
  }

  @Test
  void closingAClusterStopsTheOperatorAndEveryPod(@TempDir Path workDir) {
    LocalCluster local =
        LocalCluster.start(
            workDir,
            new LocalCluster.Options()
                .namespace("closing")
                .kafka(false)
                .operatorJar(TestPrograms.fakeOperatorJar(workDir.resolve("jars")))
                .operatorHeap("128m")
                .containerCommand(TestPrograms.fakeRuntime()));
    ProcessHandle operator = local.operator().orElseThrow();
    Plugin plugin = new Plugin();
    plugin.setMetadata(new ObjectMetaBuilder().withName("closer").withNamespace("closing").build());
    PluginSpec spec = new PluginSpec();
    spec.setVersion("1.0.0");
    spec.setArtifact(Artifact.ofImage("registry.example.com/closer:1"));
    plugin.setSpec(spec);
    local.client().resources(Plugin.class).resource(plugin).create();
    String containerId =
        await()
            .atMost(Duration.ofSeconds(40))
            .until(
                () -> {
                  Pod p = local.client().pods().inNamespace("closing").withName("closer-0").get();
                  return p == null
                          || p.getStatus() == null
                          || p.getStatus().getContainerStatuses() == null
                      ? null
                      : p.getStatus().getContainerStatuses().get(0).getContainerID();
                },
                id -> id != null);
    long podPid = Long.parseLong(containerId.substring("local://".length()));
    Set<ProcessHandle> processes = Set.of(operator, ProcessHandle.of(podPid).orElseThrow());

    local.close();

    assertThat(processes).noneMatch(ProcessHandle::isAlive);
    assertThat(workDir.resolve("operator.log")).exists();
    assertThat(workDir.resolve("pods").resolve("closing_closer-0.log")).exists();
  }
}
