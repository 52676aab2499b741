package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Real Helm's lint and its values.schema.json check. */
class ChartLintTest {

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = RenderedChart.helm().lint().strict().call();

    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages())
        .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
  }

  @Test
  void rendersWithDefaultsAndWithNonDefaultValues() {
    assertThat(RenderedChart.render(Map.of()).all()).isNotEmpty();
    assertThat(
            RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of())
                .all())
        .isNotEmpty();
    assertThat(RenderedChart.render(Map.of("watchAllNamespaces", true)).all()).isNotEmpty();
  }

  @Test
  void schemaRejectsAZeroReplicaOperator() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("replicaCount", 0)))
        .hasMessageContaining("replicaCount");
  }

  @Test
  void schemaRejectsAnUnknownKafkaProtocol() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("kafka.securityProtocol", "TLS")))
        .hasMessageContaining("securityProtocol");
  }

  @Test
  void schemaRejectsAMisspelledValue() {
    // kafka.bootstrap instead of kafka.bootstrapServers: silently ignored without the schema.
    assertThatThrownBy(() -> RenderedChart.render(Map.of("kafka.bootstrap", "kafka:9092")))
        .hasMessageContaining("bootstrap");
  }

  @Test
  void managePrincipalsWithoutSaslIsRefusedWithTheReason() {
    for (String protocol : List.of("PLAINTEXT", "SSL")) {
      assertThatThrownBy(
              () ->
                  RenderedChart.render(
                      Map.of(
                          "kafka.securityProtocol",
                          protocol,
                          "kafka.security.managePrincipals",
                          true)))
          .as(protocol)
          .hasMessageContaining(
              "kafka.security.managePrincipals needs kafka.securityProtocol SASL_PLAINTEXT or"
                  + " SASL_SSL (it is "
                  + protocol
                  + ")");
    }
  }

  @Test
  void managePrincipalsWithWatchAllNamespacesIsRefusedWithTheReason() {
    assertThatThrownBy(
            () ->
                RenderedChart.render(
                    Map.of(
                        "kafka.securityProtocol",
                        "SASL_SSL",
                        "kafka.security.managePrincipals",
                        true,
                        "watchAllNamespaces",
                        true)))
        .hasMessageContaining(
            "kafka.security.managePrincipals cannot be combined with watchAllNamespaces")
        .hasMessageContaining("no cluster-wide access to Secrets")
        .hasMessageContaining("watchNamespaces");
  }

  @Test
  void managePrincipalsRendersWithASaslProtocolAndTellsTheOperator() {
    for (String protocol : List.of("SASL_PLAINTEXT", "SASL_SSL")) {
      Deployment deployment =
          RenderedChart.render(
                  Map.of(
                      "kafka.securityProtocol", protocol, "kafka.security.managePrincipals", true))
              .one(Deployment.class);

      assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
          .as(protocol)
          .contains(new EnvVar("COREBUS_KAFKA_SECURITY_MANAGE_PRINCIPALS", "true", null));
    }
    assertThat(
            RenderedChart.render(Map.of())
                .one(Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv())
        .contains(new EnvVar("COREBUS_KAFKA_SECURITY_MANAGE_PRINCIPALS", "false", null));
  }

  @Test
  void schemaRejectsAManagePrincipalsThatIsNotABoolean() {
    assertThatThrownBy(() -> RenderedChart.render(Map.of("kafka.security.managePrincipals", "yes")))
        .hasMessageContaining("managePrincipals");
  }

  @Test
  void theChartShipsTheOneGeneratedCrdAndNoTemplatedCopy() throws Exception {
    var chart = RenderedChart.chartDir();
    try (var files = Files.list(chart.resolve("crds"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactly("plugins.corebus.io-v1.yml");
    }
    try (var templates = Files.walk(chart.resolve("templates"))) {
      assertThat(
              templates
                  .filter(Files::isRegularFile)
                  .map(
                      p -> {
                        try {
                          return Files.readString(p);
                        } catch (java.io.IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      }))
          .noneMatch(t -> t.contains("CustomResourceDefinition"));
    }
  }
}
