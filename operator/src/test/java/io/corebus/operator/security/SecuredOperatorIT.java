package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  @RegisterExtension static final SecuredBus kafka = new SecuredBus();

  static MockCluster cluster;
  static KubernetesClient client;
  static RunningOperator operator;
  static final String NS = "secured";
  static final BusTopics TOPICS = BusTopics.forNamespace(NS);

  @BeforeAll
  static void start() {
    cluster = MockCluster.start();
    client = cluster.client();
    cluster.createNamespace(NS);
    operator = startOperator();
  }

  static OperatorSettings operatorSettings() {
    return OperatorSettings.of("corebus/plugin-runtime:test", kafka.bootstrapServers());
  }

  static RunningOperator startOperator() {
    return RunningOperator.start(
        cluster, operatorSettings(), PluginTopics.NONE, PluginRoutes.NONE, kafka.security());
  }

  @AfterAll
  static void stop() {
    operator.close();
    cluster.close();
  }

  static Plugin plugin(String name, List<String> allowedCallers) {
    return plugin(NS, name, allowedCallers);
  }

  static Plugin plugin(String ns, String name, List<String> allowedCallers) {
    Plugin p = TestPlugins.jarPlugin(ns, name);
    p.getSpec().getProvides().get(0).setAllowedCallers(allowedCallers);
    return p;
  }

  Set<AclBinding> aclsOf(String plugin) throws Exception {
    return kafka.aclsOf("User:corebus." + NS + "." + plugin);
  }

  boolean canLogIn(PluginCredentials.Values v) {
    return kafka.canLogIn(v.username(), v.password());
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
    // The bus security is part of the revision: turning it on or off rolls the pods.
    OperatorSettings settings = operatorSettings();
    PluginSpec spec = plugin("orders", List.of()).getSpec();
    assertThat(pod.getMetadata().getLabels().get(PluginNames.LABEL_REVISION))
        .isEqualTo(PluginRevision.of(spec, settings, kafka.security().revisionInput()))
        .isNotEqualTo(PluginRevision.of(spec, settings));
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
    operator = startOperator();
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
    // The user goes in a record after the ACLs: wait for the broker to apply it too.
    await().atMost(Duration.ofSeconds(10)).until(() -> !canLogIn(creds));
    assertThat(payment.getMetadata().getName()).isEqualTo("payment");
  }

  /** The public keys on the namespace's keys topic, or null while the topic does not exist. */
  static Map<String, String> keysOf(String ns) throws Exception {
    String topic = BusTopics.forNamespace(ns).keys();
    return kafka.topicExists(topic) ? kafka.latestKeys(topic) : null;
  }

  static String publicKeyOf(String ns, String plugin) {
    Secret secret = client.secrets().inNamespace(ns).withName(plugin + "-kafka").get();
    return secret == null
        ? null
        : PluginCredentials.read(secret, plugin(ns, plugin, List.of()))
            .map(PluginCredentials.Values::publicKey)
            .orElse(null);
  }

  @Test
  void theKeysTopicStaysWhileAPluginOfTheNamespaceDoesAndComesBackWithTheNextOne()
      throws Exception {
    String ns = "keyring";
    cluster.createNamespace(ns);
    client.resource(plugin(ns, "alpha", List.of())).create();
    client.resource(plugin(ns, "beta", List.of())).create();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                keysOf(ns) != null
                    && keysOf(ns).keySet().containsAll(List.of("alpha", "beta"))
                    && publicKeyOf(ns, "beta") != null);
    String betaKey = publicKeyOf(ns, "beta");

    // alpha goes, beta stays: the topic stays, with beta's key and without alpha's.
    client.resources(Plugin.class).inNamespace(ns).withName("alpha").delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> client.resources(Plugin.class).inNamespace(ns).withName("alpha").get() == null);
    assertThat(keysOf(ns)).isNotNull().doesNotContainKey("alpha").containsEntry("beta", betaKey);

    // The namespace's last Plugin goes: so does the keys topic.
    client.resources(Plugin.class).inNamespace(ns).withName("beta").delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.resources(Plugin.class).inNamespace(ns).withName("beta").get() == null);
    await().atMost(Duration.ofSeconds(10)).until(() -> keysOf(ns) == null);

    // A new Plugin there: the topic is back, with its key only.
    client.resource(plugin(ns, "gamma", List.of())).create();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> publicKeyOf(ns, "gamma") != null && keysOf(ns) != null);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(keysOf(ns))
                    .containsOnlyKeys("gamma")
                    .containsEntry("gamma", publicKeyOf(ns, "gamma")));
  }
}
