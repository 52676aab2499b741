package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.crds.Plugin;
import io.corebus.operator.testing.TestPlugins;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator's side of the secured bus against a SCRAM broker with the standard authorizer. */
class KafkaPrincipalsIT {
  @RegisterExtension static final SecuredBus kafka = new SecuredBus();

  static Plugin plugin(String ns, String name, List<String> allowedCallers) {
    Plugin p = TestPlugins.jarPlugin(ns, name);
    p.getSpec().getProvides().get(0).setAllowedCallers(allowedCallers);
    return p;
  }

  Set<AclBinding> aclsOf(String principal) throws Exception {
    return kafka.aclsOf(principal);
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
      kafka.principals().ensure(p, p == intruder ? creds : PluginCredentials.generate(p), all);
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
    kafka.principals().ensure(intruder, creds, all);
    AclBinding writePayment =
        new AclBinding(
            new ResourcePattern(
                ResourceType.TOPIC, shop.requests("shop.payment.Api"), PatternType.LITERAL),
            new AccessControlEntry(principal, "*", AclOperation.WRITE, AclPermissionType.ALLOW));
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf(principal).contains(writePayment));
    payment.getSpec().getProvides().get(0).setAllowedCallers(List.of("orders"));
    kafka.principals().ensure(intruder, creds, all);
    await().atMost(Duration.ofSeconds(10)).until(() -> !aclsOf(principal).contains(writePayment));

    // An ACL someone added by hand is taken away.
    AclBinding stray =
        new AclBinding(
            new ResourcePattern(ResourceType.TOPIC, "corebus.shop.", PatternType.PREFIXED),
            new AccessControlEntry(principal, "*", AclOperation.READ, AclPermissionType.ALLOW));
    kafka.superAdmin().createAcls(List.of(stray)).all().get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf(principal).contains(stray));
    kafka.principals().ensure(intruder, creds, all);
    await().atMost(Duration.ofSeconds(10)).until(() -> !aclsOf(principal).contains(stray));
  }

  @Test
  void theKeyIsPublishedAndEverythingGoesWithThePlugin() throws Exception {
    BusTopics lab = BusTopics.forNamespace("lab");
    Plugin svc = plugin("lab", "svc", List.of());
    PluginCredentials.Values creds = PluginCredentials.generate(svc);
    kafka.principals().ensure(svc, creds, List.of(svc));
    assertThat(kafka.latestKeys(lab.keys())).containsEntry("svc", creds.publicKey());
    assertThat(CallSignature.publicKey(kafka.latestKeys(lab.keys()).get("svc"))).isNotNull();

    // A changed password (a rotated Secret) is what the broker accepts afterwards.
    PluginCredentials.Values rotated =
        new PluginCredentials.Values(
            creds.username(), "rotated-password-123", creds.signingKey(), creds.publicKey());
    kafka.principals().ensure(svc, rotated, List.of(svc));
    // The broker applies a credential a moment after the controller has it.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> kafka.canLogIn(creds.username(), "rotated-password-123"));

    // Another Plugin of the namespace stays: the key is withdrawn by a tombstone.
    kafka.principals().release(svc, false);
    await().atMost(Duration.ofSeconds(10)).until(() -> aclsOf("User:corebus.lab.svc").isEmpty());
    assertThat(kafka.latestKeys(lab.keys())).doesNotContainKey("svc");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !kafka.canLogIn(creds.username(), "rotated-password-123"));
    try (Admin gone =
        Admin.create(kafka.broker().clientProperties(creds.username(), "rotated-password-123"))) {
      assertThatThrownBy(() -> gone.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SaslAuthenticationException.class);
    }
    // Releasing again is harmless (restart safety).
    kafka.principals().release(svc, false);
  }

  @Test
  void theKeysTopicGoesWithTheNamespacesLastPluginAndComesBackWithTheNext() throws Exception {
    BusTopics den = BusTopics.forNamespace("den");
    Plugin first = plugin("den", "first", List.of());
    Plugin second = plugin("den", "second", List.of());
    Plugin late = plugin("den", "late", List.of());
    PluginCredentials.Values secondCreds = PluginCredentials.generate(second);
    PluginCredentials.Values lateCreds = PluginCredentials.generate(late);
    // As the operator runs it: a Plugin whose credentials and ACLs did not change is not looked
    // at again for minutes.
    try (KafkaPrincipals cached = kafka.principals(Duration.ofMinutes(5))) {
      cached.ensure(first, PluginCredentials.generate(first), List.of(first, second));
      cached.ensure(second, secondCreds, List.of(first, second));

      // Another Plugin stays: only the key of the one that goes is withdrawn.
      cached.release(first, false);
      assertThat(kafka.latestKeys(den.keys()))
          .doesNotContainKey("first")
          .containsEntry("second", secondCreds.publicKey());

      // A Plugin created while the last one goes, after the operator decided it was the last.
      cached.ensure(late, lateCreds, List.of(late));
      assertThat(kafka.latestKeys(den.keys())).containsKey("late");
      cached.release(second, true);
      await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.topicExists(den.keys()));

      // Its next reconcile (same credentials, checked a moment ago) brings topic and key back.
      cached.ensure(late, lateCreds, List.of(late));
      assertThat(kafka.topicExists(den.keys())).isTrue();
      assertThat(kafka.latestKeys(den.keys()))
          .containsOnlyKeys("late")
          .containsEntry("late", lateCreds.publicKey());

      cached.release(late, true);
      await().atMost(Duration.ofSeconds(10)).until(() -> !kafka.topicExists(den.keys()));
      // Releasing the last one again (a restarted operator) is harmless.
      cached.release(late, true);
    }
  }
}
