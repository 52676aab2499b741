package io.corebus.operator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.plugin.PluginReconciler;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The operator as it ships: the Quarkus application with QOSDK wiring the reconciler, its
 * configuration, health checks and metrics, against the mock API server.
 */
@QuarkusTest
@TestProfile(OperatorApplicationTest.Settings.class)
@WithKubernetesTestServer(crud = true, setup = OperatorApplicationTest.PluginCrd.class)
class OperatorApplicationTest {

  /** Operator settings this test checks reach the pods. */
  public static class Settings implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "corebus.runtime-image", "corebus/plugin-runtime:from-config",
          "corebus.kafka.bootstrap-servers", "kafka.test:9092",
          "corebus.pods.termination-grace-period-seconds", "45");
    }
  }

  /** Installs the crds module's CRD before the operator starts, as the Helm chart would. */
  public static class PluginCrd implements Consumer<KubernetesServer> {
    @Override
    public void accept(KubernetesServer server) {
      try (InputStream in =
          getClass()
              .getClassLoader()
              .getResourceAsStream("META-INF/fabric8/plugins.corebus.io-v1.yml")) {
        KubernetesClient client = server.getClient();
        CustomResourceDefinition crd =
            client.apiextensions().v1().customResourceDefinitions().load(in).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Inject KubernetesClient client;

  @Test
  void reconcilesPluginsWithTheConfiguredSettingsAndReportsHealthAndMetrics() {
    client.resource(TestPlugins.jarPlugin("app", "greeter")).create();
    TestKubelet kubelet = new TestKubelet(client);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              kubelet.markAllReady("app");
              Plugin p =
                  client.resources(Plugin.class).inNamespace("app").withName("greeter").get();
              assertThat(p.getStatus()).isNotNull();
              // The stored Plugin starts with an empty status, before the first reconcile.
              assertThat(p.getStatus().condition(Condition.READY)).isNotNull();
              assertThat(p.getStatus().condition(Condition.READY).getStatus())
                  .isEqualTo(Condition.TRUE);
              assertThat(p.getMetadata().getFinalizers()).contains(PluginReconciler.FINALIZER);
            });
    List<Pod> pods = client.pods().inNamespace("app").list().getItems();
    assertThat(pods).hasSize(1);
    var runtime = pods.get(0).getSpec().getContainers().get(0);
    // The typed corebus.* configuration reaches the pods.
    assertThat(runtime.getImage()).isEqualTo("corebus/plugin-runtime:from-config");
    assertThat(runtime.getEnv())
        .extracting(EnvVar::getName, EnvVar::getValue)
        .contains(
            org.assertj.core.groups.Tuple.tuple(
                RuntimeContract.ENV_KAFKA_BOOTSTRAP, "kafka.test:9092"));
    assertThat(pods.get(0).getSpec().getTerminationGracePeriodSeconds()).isEqualTo(45L);

    given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    // kafka.test does not resolve: the Plugin runs anyway, Degraded says why, metrics count it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Condition degraded =
                  client
                      .resources(Plugin.class)
                      .inNamespace("app")
                      .withName("greeter")
                      .get()
                      .getStatus()
                      .condition(Condition.DEGRADED);
              assertThat(degraded.getReason()).isEqualTo("KafkaUnavailable");
              assertThat(degraded.getMessage()).contains("cannot reach Kafka at kafka.test:9092");
            });

    given()
        .when()
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("corebus_plugins{ready=\"true\"} 1.0"))
        .body(containsString("corebus_kafka_up 0.0"))
        .body(containsString("corebus_kafka_admin_errors_total{operation="))
        .body(
            containsString(
                "corebus_plugin_replicas_desired{namespace=\"app\",plugin=\"greeter\"} 1.0"))
        .body(
            containsString(
                "corebus_plugin_replicas_ready{namespace=\"app\",plugin=\"greeter\"} 1.0"))
        .body(containsString("operator_sdk_"));
  }
}
