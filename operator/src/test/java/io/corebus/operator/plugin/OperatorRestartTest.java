package io.corebus.operator.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.PodTimeline;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator is level-triggered: a new instance picks a half-done rollout up from the pods. */
class OperatorRestartTest {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  static final String NS = "restart";

  @Test
  void aRestartInTheMiddleOfARollConvergesWithoutDuplicates() {
    try (MockCluster cluster = MockCluster.start()) {
      KubernetesClient client = cluster.client();
      TestKubelet kubelet = new TestKubelet(client);
      cluster.createNamespace(NS);

      RunningOperator first = RunningOperator.start(cluster, SETTINGS);
      client
          .resource(TestPlugins.withReplicas(TestPlugins.jarPlugin(NS, "svc"), 3, null, null))
          .create();
      awaitConverged(client, kubelet, "1.0.0");

      PodTimeline timeline = new PodTimeline(client, NS);
      Plugin changed =
          client
              .resources(Plugin.class)
              .inNamespace(NS)
              .withName("svc")
              .edit(
                  p -> {
                    p.getSpec().setVersion("2.0.0");
                    return p;
                  });
      String newRevision = PluginRevision.of(changed.getSpec(), SETTINGS);

      // First new pod: Ready, one old pod replaced, second new pod created and not Ready yet.
      await().atMost(Duration.ofSeconds(20)).until(() -> countAt(client, newRevision) == 1);
      kubelet.markReady(NS, "svc-" + newRevision + "-0");
      await().atMost(Duration.ofSeconds(20)).until(() -> countAt(client, newRevision) == 2);
      assertThat(client.pods().inNamespace(NS).list().getItems()).hasSize(4);

      first.close();

      // While no operator runs, the new pod becomes Ready and an old pod dies.
      kubelet.markReady(NS, "svc-" + newRevision + "-1");
      Pod old =
          client.pods().inNamespace(NS).list().getItems().stream()
              .filter(
                  p -> !newRevision.equals(p.getMetadata().getLabels().get("corebus.io/revision")))
              .findFirst()
              .orElseThrow();
      client.pods().inNamespace(NS).withName(old.getMetadata().getName()).delete();

      try (RunningOperator second = RunningOperator.start(cluster, SETTINGS)) {
        awaitConverged(client, kubelet, "2.0.0");
        List<Pod> pods = client.pods().inNamespace(NS).list().getItems();
        assertThat(pods)
            .extracting(p -> p.getMetadata().getName())
            .containsExactlyInAnyOrder(
                "svc-" + newRevision + "-0",
                "svc-" + newRevision + "-1",
                "svc-" + newRevision + "-2");
      } finally {
        timeline.close();
      }
      assertThat(timeline.moments()).allSatisfy(m -> assertThat(m.duplicates()).isEmpty());
      assertThat(timeline.moments())
          .allSatisfy(m -> assertThat(m.pods()).hasSizeLessThanOrEqualTo(4));
    }
  }

  private static long countAt(KubernetesClient client, String revision) {
    return client.pods().inNamespace(NS).list().getItems().stream()
        .filter(p -> revision.equals(p.getMetadata().getLabels().get("corebus.io/revision")))
        .count();
  }

  private static void awaitConverged(KubernetesClient client, TestKubelet kubelet, String version) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              kubelet.markAllReady(NS);
              Plugin p = client.resources(Plugin.class).inNamespace(NS).withName("svc").get();
              assertThat(p.getStatus()).isNotNull();
              assertThat(p.getStatus().getObservedGeneration())
                  .isEqualTo(p.getMetadata().getGeneration());
              assertThat(p.getStatus().condition(Condition.READY).getStatus())
                  .isEqualTo(Condition.TRUE);
              assertThat(p.getStatus().condition(Condition.PROGRESSING).getReason())
                  .isEqualTo("Complete");
              assertThat(p.getStatus().getVersions())
                  .singleElement()
                  .satisfies(
                      v -> {
                        assertThat(v.getVersion()).isEqualTo(version);
                        assertThat(v.getReplicas()).isEqualTo(3);
                      });
            });
  }
}
