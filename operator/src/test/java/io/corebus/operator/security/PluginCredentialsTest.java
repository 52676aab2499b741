package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.bus.protocol.CallSignature;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginPods;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PluginCredentialsTest {
  final Plugin payment =
      TestPlugins.stored(TestPlugins.jarPlugin("shop", "payment"), "uid-1", "2024-01-01T00:00:00Z");

  @Test
  void theSecretHoldsTheUserItsPasswordAndASigningKeyPairAndBelongsToThePlugin() {
    PluginCredentials.Values v = PluginCredentials.generate(payment);
    Secret s = PluginCredentials.secret(payment, v, Optional.empty());

    assertThat(s.getMetadata().getName()).isEqualTo("payment-kafka");
    assertThat(s.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-1"));
    assertThat(s.getType()).isEqualTo("Opaque");
    assertThat(decode(s, RuntimeContract.KAFKA_USERNAME_FILE)).isEqualTo("corebus.shop.payment");
    assertThat(decode(s, RuntimeContract.KAFKA_PASSWORD_FILE)).hasSizeGreaterThanOrEqualTo(40);
    assertThat(s.getData()).doesNotContainKey(RuntimeContract.KAFKA_CA_FILE);
    // The two halves belong together: what the private key signs, the public key verifies.
    var claims = new CallSignature.Claims("payment", "a.B/C", "c", "i", 1, "r", new byte[0]);
    String sig =
        CallSignature.sign(
            CallSignature.privateKey(decode(s, RuntimeContract.SIGNING_KEY_FILE)), claims);
    assertThat(
            CallSignature.verify(
                CallSignature.publicKey(decode(s, PluginCredentials.PUBLIC_KEY)), claims, sig))
        .isTrue();
    assertThat(
            PluginCredentials.secret(payment, v, Optional.of("-----BEGIN CERTIFICATE-----"))
                .getData())
        .containsKey(RuntimeContract.KAFKA_CA_FILE);
  }

  @Test
  void existingCredentialsAreKeptAndIncompleteOnesAreNot() {
    PluginCredentials.Values v = PluginCredentials.generate(payment);
    Secret s = PluginCredentials.secret(payment, v, Optional.empty());
    assertThat(PluginCredentials.read(s, payment)).contains(v);
    // Two generations never share a password.
    assertThat(PluginCredentials.generate(payment).password()).isNotEqualTo(v.password());

    Secret noPassword = PluginCredentials.secret(payment, v, Optional.empty());
    noPassword.setData(new HashMap<>(noPassword.getData()));
    noPassword.getData().remove(RuntimeContract.KAFKA_PASSWORD_FILE);
    assertThat(PluginCredentials.read(noPassword, payment)).isEmpty();
    // Another plug-in's Secret under this name is not taken over.
    Plugin orders = TestPlugins.jarPlugin("shop", "orders");
    assertThat(PluginCredentials.read(s, orders)).isEmpty();
    assertThat(PluginCredentials.read(null, payment)).isEmpty();
  }

  @Test
  void podsMountTheSecretReadOnlyAndTheEnvironmentCarriesNoSecret() {
    PluginCredentials.Values v = PluginCredentials.generate(payment);
    Pod plain =
        PluginPods.desired(
            payment, "0123456789", 0, OperatorSettings.of("runtime:1", "kafka:9092"));
    Pod pod = PluginCredentials.mount(plain, payment, "SASL_SSL");

    assertThat(pod.getSpec().getVolumes())
        .anySatisfy(
            vol -> {
              assertThat(vol.getName()).isEqualTo(PluginCredentials.VOLUME);
              assertThat(vol.getSecret().getSecretName()).isEqualTo("payment-kafka");
            });
    Container runtime =
        pod.getSpec().getContainers().stream()
            .filter(c -> c.getName().equals(RuntimeContract.CONTAINER_NAME))
            .findFirst()
            .orElseThrow();
    assertThat(runtime.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo(RuntimeContract.KAFKA_CREDENTIALS_PATH);
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(runtime.getEnv())
        .extracting(EnvVar::getName, EnvVar::getValue)
        .contains(
            org.assertj.core.groups.Tuple.tuple(
                RuntimeContract.ENV_KAFKA_SECURITY_PROTOCOL, "SASL_SSL"),
            org.assertj.core.groups.Tuple.tuple(
                RuntimeContract.ENV_KAFKA_SASL_MECHANISM, "SCRAM-SHA-512"),
            org.assertj.core.groups.Tuple.tuple(
                RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR, RuntimeContract.KAFKA_CREDENTIALS_PATH),
            org.assertj.core.groups.Tuple.tuple(RuntimeContract.ENV_REQUIRE_SIGNED_CALLS, "true"));
    assertThat(runtime.getEnv())
        .noneMatch(e -> e.getValue() != null && e.getValue().contains(v.password()));
    // The model's own pod is untouched.
    assertThat(plain.getSpec().getVolumes())
        .noneMatch(vol -> vol.getName().equals("corebus-kafka"));
  }

  @Test
  void theAllowedCallersOfTheSpecBecomeTheMembersPermissions() {
    payment.getSpec().getProvides().get(0).setAllowedCallers(List.of("orders"));
    var member = PluginCredentials.member(payment);
    assertThat(member.plugin()).isEqualTo("payment");
    assertThat(member.provides().get("shop.payment.Api")).containsExactly("orders");
  }

  private static String decode(Secret s, String key) {
    return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
  }
}
