package io.corebus.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The validator behaves like the API server on the parts of a schema the Plugin CRD does not use
 * yet, so that later CRDs and rules are checked just as faithfully.
 */
class CrdSchemaValidatorTest {

  /** A one-version CRD whose spec schema is {@code specSchema} (YAML, indented by 4 spaces). */
  private static CrdSchemaValidator crd(String specSchema) {
    String yaml =
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          names: {kind: Widget, plural: widgets}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
        %s
        """
            .formatted(specSchema.indent(12).stripTrailing());
    return CrdSchemaValidator.forCrd(tree(yaml), "v1");
  }

  private static JsonNode tree(String yaml) {
    try {
      return CrdSchemaValidator.YAML.readTree(yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> errors(CrdSchemaValidator validator, String spec) {
    String object =
        """
        apiVersion: example.com/v1
        kind: Widget
        metadata:
          name: w
        spec:
        %s
        """
            .formatted(spec.indent(2).stripTrailing());
    return validator.validateYaml(object).stream().map(Violation::toString).toList();
  }

  @Test
  void ruleNamingAFieldTheSchemaLacksDoesNotCompile() {
    assertThatThrownBy(
            () ->
                crd(
                    """
                    type: object
                    properties:
                      strategy: {type: string}
                    x-kubernetes-validations:
                    - rule: "self.stratgy == 'Canary'"
                    """))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spec: rule 'self.stratgy == 'Canary'' does not compile")
        .hasMessageContaining("undefined field 'stratgy'");
  }

  @Test
  void ruleComparingAFieldWithTheWrongTypeDoesNotCompile() {
    assertThatThrownBy(
            () ->
                crd(
                    """
                    type: object
                    properties:
                      count: {type: integer}
                    x-kubernetes-validations:
                    - rule: "self.count == 'three'"
                    """))
        .hasMessageContaining("does not compile");
  }

  @Test
  void ruleThatIsNotABooleanIsRefused() {
    assertThatThrownBy(
            () ->
                crd(
                    """
                    type: object
                    properties:
                      name: {type: string, maxLength: 10}
                    x-kubernetes-validations:
                    - rule: "self.name"
                    """))
        .hasMessageContaining("must evaluate to bool");
  }

  @Test
  void ruleWhoseFieldPathNamesNoFieldIsRefused() {
    assertThatThrownBy(
            () ->
                crd(
                    """
                    type: object
                    properties:
                      min: {type: integer}
                    x-kubernetes-validations:
                    - rule: "has(self.min)"
                      fieldPath: .minimum
                    """))
        .hasMessageContaining("spec: fieldPath '.minimum' names no field of the schema");
  }

  @Test
  void iteratingAListWithoutMaxItemsOrScanningAStringWithoutMaxLengthIsFlagged() {
    CrdSchemaValidator unbounded =
        crd(
            """
            type: object
            properties:
              names:
                type: array
                items: {type: string}
                x-kubernetes-validations:
                - rule: "self.all(n, n.startsWith('a'))"
            """);
    CrdSchemaValidator bounded =
        crd(
            """
            type: object
            properties:
              names:
                type: array
                maxItems: 5
                items: {type: string, maxLength: 20}
                x-kubernetes-validations:
                - rule: "self.all(n, n.startsWith('a'))"
            """);

    assertThat(unbounded.celRulesWithUnboundedCost())
        .anySatisfy(p -> assertThat(p).contains("iterates spec.names, which has no maxItems"))
        .anySatisfy(p -> assertThat(p).contains("scans spec.names[*], which has no maxLength"));
    assertThat(bounded.celRulesWithUnboundedCost()).isEmpty();
  }

  @Test
  void intOrStringTakesEitherAndNothingElse() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            properties:
              maxUnavailable:
                anyOf: [{type: integer}, {type: string}]
                x-kubernetes-int-or-string: true
            """);

    assertThat(errors(v, "maxUnavailable: 2")).isEmpty();
    assertThat(errors(v, "maxUnavailable: 25%")).isEmpty();
    assertThat(errors(v, "maxUnavailable: true"))
        .anySatisfy(
            e -> assertThat(e).startsWith("spec.maxUnavailable: Invalid value: \"boolean\""));
  }

  @Test
  void nullIsKeptForNullableFieldsAndPrunedOrDefaultedForOthers() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            properties:
              note: {type: string, nullable: true}
              size: {type: integer}
              mode: {type: string, default: Fast}
            """);
    JsonNode stored =
        v.withDefaults(tree("metadata: {name: w}\nspec: {note: null, size: null, mode: null}"));

    assertThat(errors(v, "{note: null, size: null, mode: null}")).isEmpty();
    assertThat(stored.at("/spec").has("note")).isTrue();
    assertThat(stored.at("/spec/note").isNull()).isTrue();
    assertThat(stored.at("/spec").has("size")).isFalse();
    assertThat(stored.at("/spec/mode").asText()).isEqualTo("Fast");
  }

  @Test
  void unknownFieldsRefuseTheObjectBeforeAnythingElse() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            required: [size]
            properties:
              size: {type: integer}
              labels:
                type: object
                additionalProperties: {type: string}
              free:
                type: object
                x-kubernetes-preserve-unknown-fields: true
            """);

    assertThat(errors(v, "{sise: 3, labels: {any-key: x}, free: {any: {thing: 1}}}"))
        .containsExactly("unknown field \"spec.sise\"");
    assertThat(
            v.validateYaml("metadata: {name: w, labelz: {}}\nspec: {size: 1}").stream()
                .map(Violation::toString))
        .containsExactly("unknown field \"metadata.labelz\"");
  }

  @Test
  void rulesSeeDefaultsAndReportMessageExpressionReasonAndFieldPath() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            properties:
              mode: {type: string, default: "Off", enum: ["Off", Auto]}
              target: {type: integer}
            x-kubernetes-validations:
            - rule: "self.mode != 'Auto' || has(self.target)"
              messageExpression: "'target is required when mode is ' + self.mode"
              reason: FieldValueRequired
              fieldPath: .target
            """);

    assertThat(errors(v, "{}")).isEmpty();
    assertThat(errors(v, "{mode: Auto}"))
        .containsExactly("spec.target: Required value: target is required when mode is Auto");
  }

  @Test
  void ruleThatFailsToEvaluateIsReportedWithTheRule() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            properties:
              mode: {type: string, maxLength: 10}
            x-kubernetes-validations:
            - rule: "self.mode == 'Fast'"
            """);

    assertThat(errors(v, "{mode: Fast}")).isEmpty();
    assertThat(errors(v, "{}"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e)
                    .startsWith("spec: Invalid value: \"object\": ")
                    .contains("evaluating rule: self.mode == 'Fast'"));
  }

  @Test
  void rulesOnListItemsRunForEachItemAndNameIt() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            properties:
              ports:
                type: array
                maxItems: 10
                items:
                  type: object
                  properties:
                    from: {type: integer}
                    to: {type: integer}
                  x-kubernetes-validations:
                  - rule: "self.from <= self.to"
                    message: "from must not exceed to"
            """);

    assertThat(errors(v, "ports: [{from: 1, to: 2}, {from: 5, to: 3}]"))
        .containsExactly("spec.ports[1]: Invalid value: \"object\": from must not exceed to");
  }

  @Test
  void rootRulesSeeTheNameAndTransitionRulesWaitForAnUpdate() {
    JsonNode crd =
        tree(
            """
            spec:
              versions:
              - name: v1
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          size: {type: integer}
                        x-kubernetes-validations:
                        - rule: "self.size >= oldSelf.size"
                          message: "size may only grow"
                    x-kubernetes-validations:
                    - rule: "self.metadata.name.size() <= 5"
                      message: "name is longer than 5"
            """);
    CrdSchemaValidator v = CrdSchemaValidator.forCrd(crd, "v1");

    assertThat(v.validateYaml("metadata: {name: short}\nspec: {size: 1}")).isEmpty();
    assertThat(v.validateYaml("metadata: {name: toolong}\nspec: {size: 1}").stream())
        .map(Violation::toString)
        .containsExactly("<object>: Invalid value: \"object\": name is longer than 5");
  }

  @Test
  void typeRequiredEnumAndSizeErrorsSkipTheRulesAsTheApiServerDoes() {
    CrdSchemaValidator v =
        crd(
            """
            type: object
            required: [name]
            properties:
              name: {type: string, maxLength: 3}
              count: {type: integer, minimum: 0}
            x-kubernetes-validations:
            - rule: "self.count < 10"
              message: "count must be below 10"
            """);

    assertThat(errors(v, "{name: abcd, count: 20}"))
        .containsExactly(
            "spec.name: Too long: may not be more than 3 bytes",
            "<object>: Invalid value: \"null\": some validation rules were not checked because"
                + " the object was invalid; correct the existing errors to complete validation");
    // A minimum is not blocking: the rules still run.
    assertThat(errors(v, "{name: abc, count: -1}"))
        .containsExactly(
            "spec.count: Invalid value: -1: spec.count in body should be greater than or equal to 0");
    assertThat(errors(v, "{name: abc, count: 20}"))
        .containsExactly("spec: Invalid value: \"object\": count must be below 10");
  }
}
