package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.operator.config.CorebusConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** corebus.kafka.* as an operator's user writes it, turned into Admin client properties. */
class KafkaConnectionTest {

  static KafkaConnection connection(Map<String, String> properties) {
    return connection(properties, Map.of());
  }

  static KafkaConnection connection(Map<String, String> properties, Map<String, String> env) {
    Map<String, String> all = new HashMap<>(properties);
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(CorebusConfig.class)
            // Quarkus reads "5s"; plain SmallRye only ISO-8601.
            .withConverter(Duration.class, 200, new DurationConverter())
            .withSources(new PropertiesConfigSource(all, "test", 250))
            .withSources(new EnvConfigSource(env, 300))
            .build();
    return KafkaConnection.from(config.getConfigMapping(CorebusConfig.class).kafka());
  }

  @Test
  void plaintextUsesTheBootstrapAndShortTimeouts() {
    Map<String, Object> p =
        connection(Map.of("corebus.kafka.bootstrap-servers", "kafka-0:9092,kafka-1:9092"))
            .adminProperties();
    assertThat(p)
        .containsEntry("bootstrap.servers", "kafka-0:9092,kafka-1:9092")
        .containsEntry("security.protocol", "PLAINTEXT")
        .containsEntry("client.id", "corebus-operator")
        .containsEntry("request.timeout.ms", 5000)
        .containsEntry("default.api.timeout.ms", 8000)
        .containsEntry("socket.connection.setup.timeout.max.ms", 5000L)
        .doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");
  }

  @Test
  void scramOverTlsWithSecretsFromFilesReadOnEveryConnect(@TempDir Path dir) throws Exception {
    Path password = dir.resolve("password");
    Files.writeString(password, "s3cr\"et\n");
    Path storePassword = dir.resolve("store-password");
    Files.writeString(storePassword, "changeit");
    KafkaConnection c =
        connection(
            Map.of(
                "corebus.kafka.bootstrap-servers", "kafka:9093",
                "corebus.kafka.security-protocol", "sasl_ssl",
                "corebus.kafka.sasl.mechanism", "SCRAM-SHA-512",
                "corebus.kafka.sasl.username", "corebus-operator",
                "corebus.kafka.sasl.password-file", password.toString(),
                "corebus.kafka.tls.truststore.location", "/etc/kafka/ca.p12",
                "corebus.kafka.tls.truststore.password-file", storePassword.toString(),
                "corebus.kafka.tls.hostname-verification", "false"));

    Map<String, Object> p = c.adminProperties();
    assertThat(p)
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"corebus-operator\" password=\"s3cr\\\"et\";")
        .containsEntry("ssl.truststore.location", "/etc/kafka/ca.p12")
        .containsEntry("ssl.truststore.type", "PKCS12")
        .containsEntry("ssl.truststore.password", "changeit")
        .containsEntry("ssl.endpoint.identification.algorithm", "");

    Files.writeString(password, "rotated");
    assertThat((String) c.adminProperties().get("sasl.jaas.config"))
        .contains("password=\"rotated\"");
  }

  @Test
  void theRouteProducerIsDurableAndGivesUpWithinTheApiTimeoutWithTheSameCredentials() {
    KafkaConnection c =
        connection(
            Map.of(
                "corebus.kafka.bootstrap-servers", "kafka:9093",
                "corebus.kafka.security-protocol", "SASL_PLAINTEXT",
                "corebus.kafka.sasl.username", "corebus-operator",
                "corebus.kafka.sasl.password", "pw",
                "corebus.kafka.request-timeout", "3s",
                "corebus.kafka.api-timeout", "6s"));

    Map<String, Object> producer = c.producerProperties();
    assertThat(producer)
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", true)
        .containsEntry("max.in.flight.requests.per.connection", 5)
        .containsEntry("request.timeout.ms", 3000)
        .containsEntry("delivery.timeout.ms", 6000)
        .containsEntry("max.block.ms", 6000L)
        .containsEntry("security.protocol", "SASL_PLAINTEXT")
        .containsEntry("sasl.jaas.config", c.adminProperties().get("sasl.jaas.config"))
        .doesNotContainKey("default.api.timeout.ms");
    assertThat(c.consumerProperties())
        .containsEntry("enable.auto.commit", false)
        .containsEntry("sasl.jaas.config", c.adminProperties().get("sasl.jaas.config"))
        .doesNotContainKey("group.id");
    // Kafka's own parsing accepts every value.
    new org.apache.kafka.clients.producer.ProducerConfig(producer);
  }

  @Test
  void plainWithAPasswordFromTheEnvironmentAndExtraProperties() {
    Map<String, Object> p =
        connection(
                Map.of(
                    "corebus.kafka.security-protocol", "SASL_PLAINTEXT",
                    "corebus.kafka.sasl.username", "op",
                    "corebus.kafka.properties.\"client.dns.lookup\"", "use_all_dns_ips"),
                Map.of(
                    "COREBUS_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                    "COREBUS_KAFKA_SASL_PASSWORD", "pw"))
            .adminProperties();
    assertThat(p)
        .containsEntry("bootstrap.servers", "kafka:9092")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"op\""
                + " password=\"pw\";")
        .containsEntry("client.dns.lookup", "use_all_dns_ips");
  }

  @Test
  void aJaasConfigIsPassedAsIs() {
    String jaas = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;";
    Map<String, Object> p =
        connection(
                Map.of(
                    "corebus.kafka.bootstrap-servers", "kafka:9092",
                    "corebus.kafka.security-protocol", "SASL_SSL",
                    "corebus.kafka.sasl.mechanism", "OAUTHBEARER",
                    "corebus.kafka.sasl.jaas-config", jaas))
            .adminProperties();
    assertThat(p)
        .containsEntry("sasl.jaas.config", jaas)
        .containsEntry("sasl.mechanism", "OAUTHBEARER");
  }

  @Test
  void settingsThatCannotWorkAreRefusedWithTheKeysToFix() {
    assertThatThrownBy(
            () ->
                connection(
                    Map.of(
                        "corebus.kafka.bootstrap-servers", "k:9092",
                        "corebus.kafka.sasl.username", "op",
                        "corebus.kafka.sasl.password", "pw")))
        .hasMessageContaining("corebus.kafka.sasl.* is set")
        .hasMessageContaining("SASL_PLAINTEXT or SASL_SSL");
    assertThatThrownBy(() -> connection(Map.of("corebus.kafka.security-protocol", "SASL_SSL")))
        .hasMessageContaining("corebus.kafka.sasl.username");
    assertThatThrownBy(
            () ->
                connection(
                    Map.of(
                        "corebus.kafka.security-protocol", "SASL_SSL",
                        "corebus.kafka.sasl.mechanism", "GSSAPI",
                        "corebus.kafka.sasl.username", "op",
                        "corebus.kafka.sasl.password", "pw")))
        .hasMessageContaining("for GSSAPI set corebus.kafka.sasl.jaas-config");
    assertThatThrownBy(
            () ->
                connection(
                    Map.of(
                        "corebus.kafka.security-protocol", "SASL_SSL",
                        "corebus.kafka.sasl.username", "op",
                        "corebus.kafka.sasl.password", "pw",
                        "corebus.kafka.sasl.password-file", "/x")))
        .hasMessageContaining("corebus.kafka.sasl.password or corebus.kafka.sasl.password-file");
    assertThatThrownBy(() -> connection(Map.of("corebus.kafka.tls.truststore.location", "/ca.p12")))
        .hasMessageContaining("use SSL or SASL_SSL");
    assertThatThrownBy(() -> connection(Map.of("corebus.kafka.security-protocol", "TLS")))
        .hasMessageContaining("PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
    assertThatThrownBy(
            () ->
                connection(
                    Map.of(
                        "corebus.kafka.request-timeout", "10s",
                        "corebus.kafka.api-timeout", "5s")))
        .hasMessageContaining("corebus.kafka.api-timeout");
  }

  @Test
  void anUnreadableSecretFileIsNamed(@TempDir Path dir) {
    KafkaConnection c =
        connection(
            Map.of(
                "corebus.kafka.bootstrap-servers", "kafka:9092",
                "corebus.kafka.security-protocol", "SASL_SSL",
                "corebus.kafka.sasl.username", "op",
                "corebus.kafka.sasl.password-file", dir.resolve("missing").toString()));
    assertThatThrownBy(c::adminProperties)
        .hasMessageContaining("cannot read corebus.kafka.sasl.password-file")
        .hasMessageContaining("missing");
  }

  @Test
  void withoutBootstrapServersThereIsNoClient() {
    assertThatThrownBy(() -> connection(Map.of()).adminProperties())
        .hasMessageContaining("corebus.kafka.bootstrap-servers");
  }
}
