package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.Replicas;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.LocalCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator starts from what the chart templates: the real operator jar runs on the local
 * cluster (mock API server, real Kafka) with exactly the environment of the templated Deployment's
 * container, becomes ready, and manages Plugins in the namespace the chart told it to watch.
 */
class ChartOperatorIT {

  @Test
  void theOperatorStartsWithTheTemplatedDeploymentsSettings() throws Exception {
    String namespace = RenderedChart.NAMESPACE;
    // Under target/, so operator.log stays for a look after a failure.
    Path workDir = Path.of("target", "chart-operator-it").toAbsolutePath();
    deleteRecursively(workDir);
    java.nio.file.Files.createDirectories(workDir);
    try (KafkaBroker kafka =
        KafkaBroker.startOrConnect(new KafkaBroker.Options().parentDir(workDir).heap("384m"))) {
      Deployment deployment =
          RenderedChart.render(Map.of("kafka.bootstrapServers", kafka.bootstrapServers()))
              .one(Deployment.class);
      Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
      Map<String, String> env = environment(container, namespace, "corebus-0");
      assertThat(env)
          .containsEntry("COREBUS_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
          .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", namespace);

      // No Kafka of the cluster's own: the bootstrap comes from the Deployment's environment only.
      try (LocalCluster cluster =
          LocalCluster.start(
              workDir.resolve("cluster"),
              new LocalCluster.Options()
                  .namespace(namespace)
                  .kafka(false)
                  .withOperator()
                  .operatorEnv(env)
                  .awaitOperator(true, Duration.ofSeconds(60)))) {
        var client = cluster.client();
        client
            .resource(
                new NamespaceBuilder()
                    .withNewMetadata()
                    .withName("elsewhere")
                    .endMetadata()
                    .build())
            .create();
        client.resource(plugin(namespace, "watched")).create();
        client.resource(plugin("elsewhere", "unwatched")).create();

        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () -> {
                  Plugin p =
                      client
                          .resources(Plugin.class)
                          .inNamespace(namespace)
                          .withName("watched")
                          .get();
                  assertThat(p.getStatus()).isNotNull();
                  assertThat(p.getStatus().getObservedGeneration()).isEqualTo(1L);
                  assertThat(p.getStatus().getConditions())
                      .extracting("type")
                      .contains("Ready", "Progressing", "Degraded");
                });
        // The operator reached Kafka with the chart's settings: no KafkaUnavailable, no missing
        // bootstrap.
        Plugin watched =
            client.resources(Plugin.class).inNamespace(namespace).withName("watched").get();
        assertThat(watched.getStatus().getConditions())
            .noneSatisfy(
                c -> assertThat(c.getReason()).isIn("KafkaUnavailable", "KafkaBootstrapMissing"));
        assertThat(watched.getMetadata().getFinalizers()).contains("corebus.io/cleanup");
        // A namespace the chart did not list is left alone: no conditions, no finalizer.
        Plugin unwatched =
            client.resources(Plugin.class).inNamespace("elsewhere").withName("unwatched").get();
        assertThat(unwatched.getMetadata().getFinalizers()).isNullOrEmpty();
        assertThat(
                unwatched.getStatus() == null
                    ? null
                    : unwatched.getStatus().getObservedGeneration())
            .isNull();
      }
    }
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  /**
   * The container's environment as the kubelet would give it: plain values, and the downward API
   * fields the chart uses (metadata.namespace, metadata.name).
   */
  private static Map<String, String> environment(
      Container container, String namespace, String pod) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : container.getEnv()) {
      if (e.getValueFrom() == null) {
        env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
        continue;
      }
      String field =
          e.getValueFrom().getFieldRef() == null
              ? null
              : e.getValueFrom().getFieldRef().getFieldPath();
      switch (String.valueOf(field)) {
        case "metadata.namespace" -> env.put(e.getName(), namespace);
        case "metadata.name" -> env.put(e.getName(), pod);
        default ->
            throw new AssertionError(
                "the test cannot resolve " + e.getName() + " from " + e.getValueFrom());
      }
    }
    return env;
  }

  private static Plugin plugin(String namespace, String name) {
    PluginSpec spec = new PluginSpec();
    spec.setVersion("1.0.0");
    // No pods: this test is about the operator, not the runtime.
    spec.setReplicas(new Replicas(0, 0));
    spec.setArtifact(
        io.corebus.crds.Artifact.ofJar(
            "https://repo.example.com/" + name + ".jar",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    Plugin p = new Plugin();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    p.setSpec(spec);
    return p;
  }
}
