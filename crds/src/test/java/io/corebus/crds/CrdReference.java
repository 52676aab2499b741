package io.corebus.crds;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The generated parts of docs/crd-reference.md: the field tables and the printer columns, rendered
 * from the committed CRD so the reference cannot drift from what the API server enforces.
 */
final class CrdReference {
  static final String RELATIVE_PATH = "docs/crd-reference.md";

  private CrdReference() {}

  /** One table per top-level section (spec, status): every field with type, default, checks. */
  static String fieldTables(JsonNode schema) {
    Map<String, List<String>> rules = rulesByField(schema, "", new LinkedHashMap<>());
    StringBuilder out = new StringBuilder();
    for (String root : List.of("spec", "status")) {
      out.append("\n#### `").append(root).append("`\n\n");
      out.append("| Field | Type | Default | Validation | Description |\n");
      out.append("|---|---|---|---|---|\n");
      rows(schema.path("properties").path(root), root, rules, out);
    }
    return out.toString();
  }

  static String printerColumns(JsonNode crd) {
    StringBuilder out = new StringBuilder();
    out.append("\n| Column | Shown by | JSONPath | Type |\n|---|---|---|---|\n");
    for (JsonNode c : crd.at("/spec/versions/0/additionalPrinterColumns")) {
      out.append("| ")
          .append(c.path("name").asText())
          .append(" | ")
          .append(
              c.path("priority").asInt() == 0
                  ? "`kubectl get plugins`"
                  : "`kubectl get plugins -o wide`")
          .append(" | `")
          .append(cell(c.path("jsonPath").asText()))
          .append("` | ")
          .append(c.path("type").asText())
          .append(" |\n");
    }
    return out.toString();
  }

  private static void rows(
      JsonNode schema, String path, Map<String, List<String>> rules, StringBuilder out) {
    Set<String> required = new TreeSet<>();
    schema.path("required").forEach(r -> required.add(r.asText()));
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      String field = path + "." + p.getKey();
      JsonNode s = p.getValue();
      String embedded = CommittedCrd.EMBEDDED_KUBERNETES_TYPES.get(field);
      out.append("| `")
          .append(field)
          .append("` | ")
          .append(embedded != null ? embedded + " (Kubernetes)" : type(s))
          .append(" | ")
          .append(s.has("default") ? "`" + cell(s.get("default").asText()) + "`" : "")
          .append(" | ")
          .append(validation(s, required.contains(p.getKey()), rules.get(field)))
          .append(" | ")
          .append(cell(s.path("description").asText()))
          .append(" |\n");
      if (embedded == null) {
        if (s.path("items").isObject()) {
          rows(s.get("items"), field + "[]", rules, out);
        } else {
          rows(s, field, rules, out);
        }
      }
    }
  }

  private static String type(JsonNode s) {
    if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
      return "int or string";
    }
    String type = s.path("type").asText("any");
    if (type.equals("array")) {
      return "[]" + type(s.path("items"));
    }
    if (type.equals("object") && s.path("additionalProperties").isObject()) {
      return "map[string]" + type(s.get("additionalProperties"));
    }
    return type;
  }

  private static String validation(JsonNode s, boolean required, List<String> ruleMessages) {
    List<String> checks = new ArrayList<>();
    if (required) {
      checks.add("required");
    }
    if (s.has("enum")) {
      List<String> values = new ArrayList<>();
      s.get("enum").forEach(v -> values.add("`" + v.asText() + "`"));
      checks.add("one of " + String.join(", ", values));
    }
    if (s.has("pattern")) {
      checks.add("matches `" + cell(s.get("pattern").asText()) + "`");
    }
    range(s, "minimum", "maximum", "").ifPresent(checks::add);
    range(s, "minItems", "maxItems", " items").ifPresent(checks::add);
    range(s, "minProperties", "maxProperties", " entries").ifPresent(checks::add);
    range(s, "minLength", "maxLength", " characters").ifPresent(checks::add);
    JsonNode items = s.path("items");
    if (items.isObject() && !items.has("properties")) {
      String each = validation(items, false, null);
      if (!each.isEmpty()) {
        checks.add("each item: " + each);
      }
    }
    if (ruleMessages != null) {
      ruleMessages.forEach(m -> checks.add("rule: " + cell(m)));
    }
    return String.join("; ", checks);
  }

  private static Optional<String> range(JsonNode s, String min, String max, String unit) {
    if (s.has(min) && s.has(max)) {
      return Optional.of(number(s.get(min)) + ".." + number(s.get(max)) + unit);
    }
    if (s.has(min)) {
      return Optional.of("at least " + number(s.get(min)) + unit);
    }
    if (s.has(max)) {
      return Optional.of("at most " + number(s.get(max)) + unit);
    }
    return Optional.empty();
  }

  /** Rule messages by the field they report (the node, or node + fieldPath). */
  private static Map<String, List<String>> rulesByField(
      JsonNode schema, String path, Map<String, List<String>> out) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      String fieldPath = rule.path("fieldPath").asText("");
      String field = fieldPath.isEmpty() ? path : path + fieldPath;
      out.computeIfAbsent(field, k -> new ArrayList<>())
          .add(rule.path("message").asText(rule.path("rule").asText()));
    }
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      rulesByField(p.getValue(), path.isEmpty() ? p.getKey() : path + "." + p.getKey(), out);
    }
    if (schema.path("items").isObject()) {
      rulesByField(schema.get("items"), path + "[]", out);
    }
    return out;
  }

  private static String number(JsonNode n) {
    return n.canConvertToExactIntegral() ? String.valueOf(n.asLong()) : n.asText();
  }

  /** Text safe inside a Markdown table cell. */
  private static String cell(String text) {
    return text.replaceAll("\\s+", " ").strip().replace("|", "\\|");
  }

  /**
   * {@code doc} with the text between {@code <!-- BEGIN GENERATED: name -->} and {@code <!-- END
   * GENERATED: name -->} replaced by {@code content}.
   */
  static String replaceSection(String doc, String name, String content) {
    String begin = "<!-- BEGIN GENERATED: " + name;
    String end = "<!-- END GENERATED: " + name + " -->";
    int b = doc.indexOf(begin);
    int e = doc.indexOf(end);
    if (b < 0 || e < b) {
      throw new IllegalStateException(RELATIVE_PATH + " lacks the markers for section " + name);
    }
    int afterBegin = doc.indexOf("-->", b) + 3;
    return doc.substring(0, afterBegin) + "\n" + content + "\n" + doc.substring(e);
  }
}
