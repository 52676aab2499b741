package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaAvailability;
import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reconciler on a secured bus: the real operator loop on the mock API server, the real
 * principal handling against a SCRAM broker with the standard authorizer.
 */
class SecuredOperatorIT {
  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().secured());

  static MockCluster cluster;
  static KubernetesClient client;
  static RunningOperator operator;
  static KafkaPrincipals principals;
  static BusAdmin bus;
  static Admin superAdmin;
  static final String NS = "secured";
  static final BusTopics TOPICS = BusTopics.forNamespace(NS);

  @BeforeAll
  static void start() {
    KafkaBroker.Scram su = kafka.broker().superUser();
    KafkaConnection connection =
        new KafkaConnection(
            Optional.of(kafka.bootstrapServers()),
            "SASL_PLAINTEXT",
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.of("SCRAM-SHA-512"),
            Optional.empty(),
            Optional.of(su.user()),
            Optional.of(
                new KafkaConnection.Secret(
                    Optional.of(su.password()), Optional.empty(), "corebus.kafka.sasl.password")),
            Duration.ofSeconds(5),
            Duration.ofSeconds(8),
            Map.of());
    bus =
        new BusAdmin(
            () -> connection,
            new KafkaAvailability(
                new SimpleMeterRegistry(),
                Duration.ofMillis(200),
                Duration.ofSeconds(1),
                Clock.systemUTC()));
    principals =
        new KafkaPrincipals(bus, connection::producerProperties, Duration.ZERO, Clock.systemUTC());
    superAdmin = Admin.create(kafka.broker().clientProperties());
    cluster = MockCluster.start();
    client = cluster.client();
    cluster.createNamespace(NS);
    operator =
        RunningOperator.start(
            cluster,
            OperatorSettings.of("corebus/plugin-runtime:test", kafka.bootstrapServers()),
            PluginTopics.NONE,
            PluginRoutes.NONE,
            new PluginSecurity(principals, "SASL_PLAINTEXT", Optional.empty()));
  }

  @AfterAll
  static void stop() {
    operator.close();
    cluster.close();
    principals.close();
    bus.close();
    superAdmin.close();
  }

  static Plugin plugin(String name, List<String> allowedCallers) {
    Plugin p = TestPlugins.jarPlugin(NS, name);
    p.getSpec().getProvides().get(0).setAllowedCallers(allowedCallers);
    return p;
  }

  Set<AclBinding> aclsOf(String plugin) throws Exception {
    return Set.copyOf(
        superAdmin
            .describeAcls(KafkaPrincipals.filter("User:corebus." + NS + "." + plugin))
            .values()
            .get(10, TimeUnit.SECONDS));
  }

  boolean canLogIn(PluginCredentials.Values v) {
    try (Admin a = Admin.create(kafka.broker().clientProperties(v.username(), v.password()))) {
      a.describeCluster().nodes().get(10, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  boolean writes(String plugin, String topic) throws Exception {
    return aclsOf(plugin).stream()
        .anyMatch(
            b -> b.pattern().name().equals(topic) && b.entry().operation() == AclOperation.WRITE);
  }

  @Test
  void aPluginGetsASecretItsPodsMountAUserAndAclsThatFollowItsCalleeAndAllGoWithIt()
      throws Exception {
    Plugin payment = client.resource(plugin("payment", List.of("orders"))).create();
    client.resource(plugin("orders", List.of())).create();
    String payTopic = TOPICS.requests("shop.payment.Api");

    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.secrets().inNamespace(NS).withName("orders-kafka").get() != null);
    Secret secret = client.secrets().inNamespace(NS).withName("orders-kafka").get();
    PluginCredentials.Values creds =
        PluginCredentials.read(secret, plugin("orders", List.of())).orElseThrow();
    await().atMost(Duration.ofSeconds(30)).until(() -> canLogIn(creds));
    await().atMost(Duration.ofSeconds(30)).until(() -> writes("orders", payTopic));

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                !client
                    .pods()
                    .inNamespace(NS)
                    .withLabel("corebus.io/plugin", "orders")
                    .list()
                    .getItems()
                    .isEmpty());
    Pod pod =
        client
            .pods()
            .inNamespace(NS)
            .withLabel("corebus.io/plugin", "orders")
            .list()
            .getItems()
            .get(0);
    assertThat(pod.getSpec().getVolumes())
        .anyMatch(
            v -> v.getSecret() != null && "orders-kafka".equals(v.getSecret().getSecretName()));
    assertThat(pod.getSpec().getContainers().get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo(RuntimeContract.ENV_REQUIRE_SIGNED_CALLS);
              assertThat(e.getValue()).isEqualTo("true");
            });

    // payment stops admitting orders: orders loses the right to write payment's requests.
    Plugin edited = client.resources(Plugin.class).inNamespace(NS).withName("payment").get();
    edited.getSpec().getProvides().get(0).setAllowedCallers(List.of("someone-else"));
    client.resource(edited).update();
    await().atMost(Duration.ofSeconds(30)).until(() -> !writes("orders", payTopic));

    // A restarted operator keeps the credentials: the Secret is not regenerated.
    String before = secret.getData().get(RuntimeContract.KAFKA_PASSWORD_FILE);
    operator.close();
    operator =
        RunningOperator.start(
            cluster,
            OperatorSettings.of("corebus/plugin-runtime:test", kafka.bootstrapServers()),
            PluginTopics.NONE,
            PluginRoutes.NONE,
            new PluginSecurity(principals, "SASL_PLAINTEXT", Optional.empty()));
    client.resource(plugin("third", List.of())).create();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.secrets().inNamespace(NS).withName("third-kafka").get() != null);
    assertThat(
            client
                .secrets()
                .inNamespace(NS)
                .withName("orders-kafka")
                .get()
                .getData()
                .get(RuntimeContract.KAFKA_PASSWORD_FILE))
        .isEqualTo(before);
    assertThat(canLogIn(creds)).isTrue();

    // Deleting the Plugin takes its Secret, user and ACLs with it.
    client.resources(Plugin.class).inNamespace(NS).withName("orders").delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.secrets().inNamespace(NS).withName("orders-kafka").get() == null);
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf("orders").isEmpty());
    assertThat(canLogIn(creds)).isFalse();
    assertThat(payment.getMetadata().getName()).isEqualTo("payment");
  }
}
