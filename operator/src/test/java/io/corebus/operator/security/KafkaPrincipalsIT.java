package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.crds.Plugin;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaAvailability;
import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.testing.TestPlugins;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator's side of the secured bus against a SCRAM broker with the standard authorizer. */
class KafkaPrincipalsIT {
  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().secured());

  static BusAdmin bus;
  static KafkaPrincipals principals;
  static Admin superAdmin;

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
    // recheck zero: every ensure looks at the broker again
    principals =
        new KafkaPrincipals(bus, connection::producerProperties, Duration.ZERO, Clock.systemUTC());
    superAdmin = Admin.create(kafka.broker().clientProperties());
  }

  @AfterAll
  static void stop() {
    principals.close();
    bus.close();
    superAdmin.close();
  }

  static Plugin plugin(String ns, String name, List<String> allowedCallers) {
    Plugin p = TestPlugins.jarPlugin(ns, name);
    p.getSpec().getProvides().get(0).setAllowedCallers(allowedCallers);
    return p;
  }

  Set<AclBinding> aclsOf(String principal) throws Exception {
    return Set.copyOf(
        superAdmin
            .describeAcls(KafkaPrincipals.filter(principal))
            .values()
            .get(10, TimeUnit.SECONDS));
  }

  @Test
  void aPluginGetsAUserThatLogsInAndExactlyItsAclsWhichFollowTheCalleesAllowedCallers()
      throws Exception {
    BusTopics shop = BusTopics.forNamespace("shop");
    Plugin payment = plugin("shop", "payment", List.of("orders"));
    Plugin orders = plugin("shop", "orders", List.of());
    Plugin intruder = plugin("shop", "intruder", List.of());
    List<Plugin> all = new ArrayList<>(List.of(payment, orders, intruder));
    PluginCredentials.Values creds = PluginCredentials.generate(intruder);
    for (Plugin p : all) {
      principals.ensure(p, p == intruder ? creds : PluginCredentials.generate(p), all);
    }

    String principal = "User:corebus.shop.intruder";
    // The brokers' view of ACLs follows the metadata log: wait for it rather than race it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(aclsOf(principal))
                    .isEqualTo(
                        KafkaPrincipals.bindings(
                            BusPermissions.of(
                                shop,
                                PluginCredentials.member(intruder),
                                all.stream().map(PluginCredentials::member).toList())))
                    .noneMatch(b -> b.pattern().name().equals(shop.requests("shop.payment.Api"))));
    // The user logs in with the Secret's password and sees what its ACLs allow.
    try (Admin asIntruder =
        Admin.create(kafka.broker().clientProperties(creds.username(), creds.password()))) {
      assertThat(asIntruder.describeCluster().nodes().get(10, TimeUnit.SECONDS)).isNotEmpty();
    }

    // payment now admits everybody: intruder may write its requests; then only orders again.
    payment.getSpec().getProvides().get(0).setAllowedCallers(List.of());
    principals.ensure(intruder, creds, all);
    AclBinding writePayment =
        new AclBinding(
            new ResourcePattern(
                ResourceType.TOPIC, shop.requests("shop.payment.Api"), PatternType.LITERAL),
            new AccessControlEntry(principal, "*", AclOperation.WRITE, AclPermissionType.ALLOW));
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf(principal).contains(writePayment));
    payment.getSpec().getProvides().get(0).setAllowedCallers(List.of("orders"));
    principals.ensure(intruder, creds, all);
    await().atMost(Duration.ofSeconds(10)).until(() -> !aclsOf(principal).contains(writePayment));

    // An ACL someone added by hand is taken away.
    AclBinding stray =
        new AclBinding(
            new ResourcePattern(ResourceType.TOPIC, "corebus.shop.", PatternType.PREFIXED),
            new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW));
    superAdmin.createAcls(List.of(stray)).all().get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf(principal).contains(stray));
    principals.ensure(intruder, creds, all);
    await().atMost(Duration.ofSeconds(10)).until(() -> !aclsOf(principal).contains(stray));
  }

  @Test
  void theKeyIsPublishedAndEverythingGoesWithThePlugin() throws Exception {
    BusTopics lab = BusTopics.forNamespace("lab");
    Plugin svc = plugin("lab", "svc", List.of());
    PluginCredentials.Values creds = PluginCredentials.generate(svc);
    principals.ensure(svc, creds, List.of(svc));
    assertThat(latestKeys(lab.keys())).containsEntry("svc", creds.publicKey());
    assertThat(CallSignature.publicKey(latestKeys(lab.keys()).get("svc"))).isNotNull();

    // A changed password (a rotated Secret) is what the broker accepts afterwards.
    PluginCredentials.Values rotated =
        new PluginCredentials.Values(
            creds.username(), "rotated-password-123", creds.signingKey(), creds.publicKey());
    principals.ensure(svc, rotated, List.of(svc));
    try (Admin asSvc =
        Admin.create(kafka.broker().clientProperties(creds.username(), "rotated-password-123"))) {
      assertThat(asSvc.describeCluster().nodes().get(10, TimeUnit.SECONDS)).isNotEmpty();
    }

    principals.release(svc);
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf("User:corebus.lab.svc").isEmpty());
    assertThat(latestKeys(lab.keys())).doesNotContainKey("svc");
    try (Admin gone =
        Admin.create(kafka.broker().clientProperties(creds.username(), "rotated-password-123"))) {
      assertThatThrownBy(() -> gone.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SaslAuthenticationException.class);
    }
    // Releasing again is harmless (restart safety).
    principals.release(svc);
  }

  /** The keys topic folded: plug-in to its latest key, tombstones removing it. */
  static Map<String, String> latestKeys(String topic) {
    Map<String, Object> props = new HashMap<>(kafka.broker().clientProperties());
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Map<String, String> keys = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          String k = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            keys.remove(k);
          } else {
            keys.put(k, new String(r.value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return keys;
  }
}
