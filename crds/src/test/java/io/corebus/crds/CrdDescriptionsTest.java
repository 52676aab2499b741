package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every field a user can set or read has a description, so `kubectl explain plugin.spec...` and the
 * reference answer what it means. Kubernetes types embedded whole (podTemplate, resources, env) are
 * described by Kubernetes; only their own field needs one here.
 */
class CrdDescriptionsTest {

  @Test
  void everySpecAndStatusFieldHasADescription() {
    JsonNode schema = CommittedCrd.schema();
    List<String> undescribed = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    for (String root : List.of("spec", "status")) {
      walk(schema.path("properties").path(root), root, undescribed, checked);
    }

    assertThat(checked).contains("spec.version", "spec.podTemplate", "status.conditions[].reason");
    assertThat(undescribed).as("fields without a description").isEmpty();
  }

  private static void walk(
      JsonNode schema, String path, List<String> undescribed, List<String> checked) {
    if (CommittedCrd.EMBEDDED_KUBERNETES_TYPES.containsKey(path)) {
      return;
    }
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      String field = path + "." + p.getKey();
      checked.add(field);
      if (p.getValue().path("description").asText().isBlank()) {
        undescribed.add(field);
      }
      walk(p.getValue(), field, undescribed, checked);
    }
    if (schema.path("items").isObject()) {
      walk(schema.get("items"), path + "[]", undescribed, checked);
    }
    if (schema.path("additionalProperties").isObject()) {
      walk(schema.get("additionalProperties"), path + "[*]", undescribed, checked);
    }
  }
}
