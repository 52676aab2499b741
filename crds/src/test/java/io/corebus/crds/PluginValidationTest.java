package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.corebus.crds.validation.CrdSchemaValidator;
import io.corebus.crds.validation.PluginFixture;
import io.corebus.crds.validation.Violation;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed Plugin CRD accepts the Plugins under plugins/valid and refuses each one under
 * plugins/invalid with exactly the errors its header announces, as a Kubernetes API server would:
 * schema first, defaults applied, then the CEL rules.
 */
class PluginValidationTest {
  private static final CrdSchemaValidator VALIDATOR = CrdSchemaValidator.forPluginCrd();

  static List<PluginFixture> valid() {
    return PluginFixture.under("plugins/valid");
  }

  static List<PluginFixture> invalid() {
    return PluginFixture.under("plugins/invalid");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valid")
  void acceptsValidPlugin(PluginFixture fixture) {
    assertThat(VALIDATOR.validateYaml(fixture.yaml())).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void refusesInvalidPluginNamingTheField(PluginFixture fixture) {
    assertThat(fixture.expectations()).as("%s has no '# expect:' line", fixture).isNotEmpty();

    List<Violation> violations = VALIDATOR.validateYaml(fixture.yaml());

    for (PluginFixture.Expectation expected : fixture.expectations()) {
      assertThat(violations).as("errors for %s", fixture).anyMatch(expected::matches);
    }
    // Nothing else is wrong with the fixture: each one tests the one defect it describes. The
    // API server's note that the CEL rules were skipped after a schema error is not a defect.
    assertThat(violations)
        .filteredOn(v -> !v.field().isEmpty())
        .as("errors for %s", fixture)
        .allMatch(v -> fixture.expectations().stream().anyMatch(e -> e.field().equals(v.field())));
  }

  @Test
  void fixturesCoverEveryCelRule() {
    List<String> reportedMessages =
        invalid().stream()
            .flatMap(f -> VALIDATOR.validateYaml(f.yaml()).stream())
            .map(Violation::toString)
            .toList();

    assertThat(VALIDATOR.celRuleMessages())
        .allSatisfy(
            message ->
                assertThat(reportedMessages)
                    .as("no invalid fixture triggers the rule with message '%s'", message)
                    .anyMatch(reported -> reported.contains(message)));
  }

  @Test
  void schemaDefaultsFillWhatTheUserLeftOut() throws Exception {
    JsonNode stored =
        VALIDATOR.withDefaults(
            new YAMLMapper()
                .readTree(
                    """
                    spec:
                      replicas: {}
                      autoscaling: {}
                      rollout:
                        canary:
                          steps: [{weight: 100}]
                      provides: [{service: shop.payment.PaymentService}]
                    """));

    assertThat(stored.at("/spec/replicas/min").asInt()).isEqualTo(1);
    assertThat(stored.at("/spec/replicas").has("max")).isFalse();
    assertThat(stored.at("/spec/autoscaling/mode").asText()).isEqualTo("Off");
    assertThat(stored.at("/spec/autoscaling/scaleDownStabilizationSeconds").asInt()).isEqualTo(300);
    assertThat(stored.at("/spec/rollout/strategy").asText()).isEqualTo("Rolling");
    assertThat(stored.at("/spec/rollout/canary/maxErrorRateIncreasePercent").asInt()).isEqualTo(1);
    assertThat(stored.at("/spec/rollout/canary/maxLatencyRatioPercent").asInt()).isEqualTo(150);
    assertThat(stored.at("/spec/rollout/canary/steps/0/analysisSeconds").asInt()).isEqualTo(60);
    assertThat(stored.at("/spec/provides/0/transport").asText()).isEqualTo("bus");
  }
}
