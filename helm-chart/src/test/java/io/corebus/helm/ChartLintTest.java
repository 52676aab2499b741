package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import java.nio.file.Files;
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
