package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.validation.CrdSchemaValidator;
import io.corebus.crds.validation.Violation;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The Plugin CRD's CEL rules would be accepted by an API server: each compiles against the schema
 * (the validator refuses to build otherwise) and nothing they iterate or scan is unbounded.
 */
class CelRulesTest {
  private static final CrdSchemaValidator VALIDATOR = CrdSchemaValidator.forPluginCrd();

  @Test
  void everyRuleCompilesAgainstTheSchemaItSitsOn() {
    assertThat(VALIDATOR.celRules())
        .containsOnlyKeys(
            "spec",
            "spec.artifact",
            "spec.config",
            "spec.replicas",
            "spec.rollout",
            "spec.rollout.canary.steps");
  }

  @Test
  void everyListAndStringTheRulesIterateIsBounded() {
    assertThat(VALIDATOR.celRulesWithUnboundedCost()).isEmpty();
  }

  @Test
  void increasingWeightsRuleCoversEveryStepTheSchemaAllows() {
    int maxSteps =
        CommittedCrd.read()
            .at(
                "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/rollout"
                    + "/properties/canary/properties/steps/maxItems")
            .asInt();
    // Increasing up to the last step, which falls back: only a rule that compares every
    // neighbouring pair up to maxItems catches it.
    String steps =
        IntStream.rangeClosed(1, maxSteps)
            .map(i -> i == maxSteps ? 1 : i * 5)
            .mapToObj(w -> "{weight: " + w + "}")
            .collect(Collectors.joining(", ", "[", "]"));

    assertThat(
            VALIDATOR.validateYaml(
                """
                metadata: {name: p}
                spec:
                  version: "1"
                  artifact: {image: example.com/p:1}
                  rollout: {strategy: Canary, canary: {steps: %s}}
                """
                    .formatted(steps)))
        .extracting(Violation::toString)
        .containsExactly(
            "spec.rollout.canary.steps: Invalid value: \"array\": canary step weights must be"
                + " strictly increasing");
  }
}
