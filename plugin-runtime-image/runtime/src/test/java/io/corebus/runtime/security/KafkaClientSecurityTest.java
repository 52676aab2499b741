package io.corebus.runtime.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.crds.RuntimeContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSecurityTest {
  @TempDir Path dir;

  @Test
  void scramReadsTheMountedFilesWhenAClientIsBuilt() throws Exception {
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_USERNAME_FILE), "corebus.shop.orders\n");
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_PASSWORD_FILE), "s3cr\"t\n");
    Map<String, Object> p = KafkaClientSecurity.scram(dir).apply(Map.of("bootstrap.servers", "b"));
    assertThat(p)
        .containsEntry("bootstrap.servers", "b")
        .containsEntry("security.protocol", "SASL_PLAINTEXT")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    assertThat((String) p.get("sasl.jaas.config"))
        .isEqualTo(
            "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"corebus.shop.orders\" password=\"s3cr\\\"t\";");
    // A rotated password is what the next client gets.
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_PASSWORD_FILE), "rotated");
    assertThat((String) KafkaClientSecurity.scram(dir).apply(Map.of()).get("sasl.jaas.config"))
        .contains("password=\"rotated\"");
  }

  @Test
  void tlsTrustsTheMountedCaAndPlaintextAddsNothingSecret() throws Exception {
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_USERNAME_FILE), "u");
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_PASSWORD_FILE), "p");
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_CA_FILE), "-----BEGIN CERTIFICATE-----");
    Map<String, Object> tls =
        new KafkaClientSecurity("sasl_ssl", "SCRAM-SHA-512", Optional.of(dir)).apply(Map.of());
    assertThat(tls)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.truststore.type", "PEM")
        .containsEntry(
            "ssl.truststore.location", dir.resolve(RuntimeContract.KAFKA_CA_FILE).toString());
    assertThat(KafkaClientSecurity.none().apply(Map.of()))
        .containsOnlyKeys("security.protocol")
        .containsEntry("security.protocol", "PLAINTEXT");
  }

  @Test
  void settingsThatCannotWorkAreRefusedWithTheVariableToFix() {
    assertThatThrownBy(() -> new KafkaClientSecurity("SASL_SSL", "", Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR);
    assertThatThrownBy(() -> new KafkaClientSecurity("KERBEROS", "", Optional.empty()))
        .hasMessageContaining(RuntimeContract.ENV_KAFKA_SECURITY_PROTOCOL);
    assertThatThrownBy(() -> KafkaClientSecurity.scram(dir.resolve("missing")).apply(Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot read the Kafka credential");
  }
}
