package io.corebus.crds.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * Turns a CRD's openAPIV3Schema into a draft-4 JSON Schema that a plain JSON Schema validator
 * checks the same way the API server does.
 *
 * <ul>
 *   <li>{@code x-kubernetes-*} keywords are dropped: what they mean (defaults, pruning, CEL rules,
 *       unknown fields) is done by {@link CrdSchemaValidator} itself;
 *   <li>{@code x-kubernetes-int-or-string} becomes {@code anyOf: [integer, string]} when the schema
 *       does not spell that out already;
 *   <li>{@code nullable: true} adds {@code null} to the allowed types (and to an enum);
 *   <li>{@code default}, {@code description}, {@code example}, {@code externalDocs} and {@code
 *       title} are annotations and are dropped; so is {@code format}, which the API server checks
 *       only for a few string formats this project does not use.
 * </ul>
 */
final class CrdJsonSchema {
  private static final Set<String> DROPPED =
      Set.of(
          "nullable", "default", "description", "example", "externalDocs", "title", "format", "id");

  private CrdJsonSchema() {}

  static ObjectNode from(JsonNode openApiSchema) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    ObjectNode out = json.objectNode();
    for (Map.Entry<String, JsonNode> e : openApiSchema.properties()) {
      String keyword = e.getKey();
      JsonNode value = e.getValue();
      if (keyword.startsWith("x-kubernetes-") || DROPPED.contains(keyword)) {
        continue;
      }
      switch (keyword) {
        case "properties" -> {
          ObjectNode properties = out.putObject("properties");
          value.properties().forEach(p -> properties.set(p.getKey(), from(p.getValue())));
        }
        case "items", "additionalProperties", "not" ->
            out.set(keyword, value.isObject() ? from(value) : value.deepCopy());
        case "anyOf", "allOf", "oneOf" -> {
          ArrayNode alternatives = out.putArray(keyword);
          value.forEach(alternative -> alternatives.add(from(alternative)));
        }
        default -> out.set(keyword, value.deepCopy());
      }
    }
    if (openApiSchema.path("x-kubernetes-int-or-string").asBoolean(false) && !out.has("anyOf")) {
      ArrayNode anyOf = out.putArray("anyOf");
      anyOf.addObject().put("type", "integer");
      anyOf.addObject().put("type", "string");
    }
    if (openApiSchema.path("nullable").asBoolean(false)) {
      if (out.has("type")) {
        ArrayNode types = json.arrayNode().add(out.get("type")).add("null");
        out.set("type", types);
      }
      if (out.has("enum")) {
        ((ArrayNode) out.get("enum")).addNull();
      }
      if (out.has("anyOf")) {
        ((ArrayNode) out.get("anyOf")).addObject().put("type", "null");
      }
    }
    return out;
  }
}
