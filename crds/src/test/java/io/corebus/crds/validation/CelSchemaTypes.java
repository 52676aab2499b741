package io.corebus.crds.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.common.values.NullValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CEL types the API server declares for a structural schema, and the values it binds.
 *
 * <p>Like the API server: an object with properties is a struct whose fields are the (escaped)
 * property names, so a rule naming a field the schema lacks does not compile; an object with
 * additionalProperties is a {@code map(string, V)}; int-or-string and preserve-unknown-fields are
 * {@code dyn}. Strings stay strings (the API server maps a few formats, such as date-time, to other
 * types; this project's schemas use none).
 */
final class CelSchemaTypes {

  /** CEL keywords the API server escapes as {@code __keyword__} (apiextensions escaping.go). */
  private static final Set<String> RESERVED =
      Set.of(
          "true",
          "false",
          "null",
          "in",
          "as",
          "break",
          "const",
          "continue",
          "else",
          "for",
          "function",
          "if",
          "import",
          "let",
          "loop",
          "package",
          "namespace",
          "return",
          "var",
          "void",
          "while");

  private static final Pattern ESCAPED = Pattern.compile("__|[-./]|[^a-zA-Z0-9_]");

  /** Root fields the API server adds to a resource's schema; metadata shows only these two. */
  private static final List<String> ROOT_METADATA_FIELDS = List.of("name", "generateName");

  private final Map<String, CelType> structs = new LinkedHashMap<>();

  /** Every struct type declared so far, for the compiler. */
  CelTypeProvider provider() {
    return new CelTypeProvider() {
      @Override
      public ImmutableCollection<CelType> types() {
        return ImmutableList.copyOf(structs.values());
      }

      @Override
      public Optional<CelType> findType(String name) {
        return Optional.ofNullable(structs.get(name));
      }
    };
  }

  /** The type of {@code self} for a rule on the resource's root schema. */
  CelType declareRoot(JsonNode rootSchema) {
    Map<String, CelType> fields = new LinkedHashMap<>();
    fields.put("apiVersion", SimpleType.STRING);
    fields.put("kind", SimpleType.STRING);
    Map<String, CelType> metadata = new LinkedHashMap<>();
    ROOT_METADATA_FIELDS.forEach(f -> metadata.put(f, SimpleType.STRING));
    fields.put("metadata", struct("<root>.metadata", metadata));
    fields.putAll(propertyTypes(rootSchema, "<root>"));
    return struct("<root>", fields);
  }

  /** The type of {@code self} for a rule on the node {@code schema}, named by its path. */
  CelType declare(JsonNode schema, String path) {
    if (isDyn(schema)) {
      return SimpleType.DYN;
    }
    CelType type =
        switch (schema.path("type").asText()) {
          case "object" -> {
            JsonNode additional = schema.get("additionalProperties");
            if (additional != null && additional.isObject()) {
              yield MapType.create(SimpleType.STRING, declare(additional, path + "[*]"));
            }
            if (schema.has("properties")) {
              yield struct(path, propertyTypes(schema, path));
            }
            yield MapType.create(SimpleType.STRING, SimpleType.DYN);
          }
          case "array" ->
              ListType.create(
                  schema.has("items")
                      ? declare(schema.get("items"), path + "[*]")
                      : SimpleType.DYN);
          case "string" -> SimpleType.STRING;
          case "integer" -> SimpleType.INT;
          case "number" -> SimpleType.DOUBLE;
          case "boolean" -> SimpleType.BOOL;
          default -> SimpleType.DYN;
        };
    return schema.path("nullable").asBoolean(false) ? NullableType.create(type) : type;
  }

  private Map<String, CelType> propertyTypes(JsonNode schema, String path) {
    Map<String, CelType> fields = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      escape(p.getKey())
          .ifPresent(
              name -> fields.put(name, declare(p.getValue(), FieldPath.child(path, p.getKey()))));
    }
    return fields;
  }

  private CelType struct(String name, Map<String, CelType> fields) {
    StructType type =
        StructType.create(
            name, ImmutableSet.copyOf(fields.keySet()), f -> Optional.ofNullable(fields.get(f)));
    structs.put(name, type);
    return type;
  }

  private static boolean isDyn(JsonNode schema) {
    return schema.path("x-kubernetes-int-or-string").asBoolean(false)
        || (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
            && !schema.has("properties")
            && !schema.has("additionalProperties"))
        || !schema.has("type");
  }

  /** The value bound to {@code self} for a rule on the resource's root schema. */
  static Object rootValue(JsonNode object, JsonNode rootSchema) {
    Map<String, Object> root = new LinkedHashMap<>();
    if (object.has("apiVersion")) {
      root.put("apiVersion", object.get("apiVersion").asText());
    }
    if (object.has("kind")) {
      root.put("kind", object.get("kind").asText());
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    for (String f : ROOT_METADATA_FIELDS) {
      JsonNode v = object.path("metadata").get(f);
      if (v != null && v.isTextual()) {
        metadata.put(f, v.asText());
      }
    }
    root.put("metadata", metadata);
    @SuppressWarnings("unchecked")
    Map<String, Object> rest = (Map<String, Object>) value(object, rootSchema);
    root.putAll(rest);
    return root;
  }

  /**
   * A JSON value as CEL sees it under {@code schema}: structs and maps become Java maps (struct
   * keys escaped), integers longs, numbers doubles, null CEL's null.
   */
  static Object value(JsonNode node, JsonNode schema) {
    if (node == null || node.isNull()) {
      return NullValue.NULL_VALUE;
    }
    if (node.isObject()) {
      Map<String, Object> out = new LinkedHashMap<>();
      JsonNode properties = schema == null ? null : schema.get("properties");
      JsonNode additional = schema == null ? null : schema.get("additionalProperties");
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (properties != null) {
          JsonNode propertySchema = properties.get(e.getKey());
          if (propertySchema != null) {
            escape(e.getKey())
                .ifPresent(name -> out.put(name, value(e.getValue(), propertySchema)));
          }
        } else {
          out.put(e.getKey(), value(e.getValue(), additional));
        }
      }
      return out;
    }
    if (node.isArray()) {
      List<Object> out = new ArrayList<>();
      JsonNode items = schema == null ? null : schema.get("items");
      node.forEach(item -> out.add(value(item, items)));
      return out;
    }
    if (node.isNumber()) {
      String type = schema == null ? "" : schema.path("type").asText();
      if (type.equals("number") || (!type.equals("integer") && !node.canConvertToExactIntegral())) {
        return node.asDouble();
      }
      return node.asLong();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.asText();
  }

  /**
   * A property name as CEL code writes it, or empty when CEL cannot name it (the API server's
   * escaping rules: {@code __} {@code .} {@code -} {@code /} and reserved words are escaped).
   */
  static Optional<String> escape(String property) {
    if (property.isEmpty() || Character.isDigit(property.charAt(0))) {
      return Optional.empty();
    }
    if (RESERVED.contains(property)) {
      return Optional.of("__" + property + "__");
    }
    Matcher m = ESCAPED.matcher(property);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement =
          switch (m.group()) {
            case "__" -> "__underscores__";
            case "." -> "__dot__";
            case "-" -> "__dash__";
            case "/" -> "__slash__";
            default -> null;
          };
      if (replacement == null) {
        return Optional.empty();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return Optional.of(out.toString());
  }
}
