package io.corebus.crds.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against a CRD the way a Kubernetes API server does on create, without a
 * server: strict field validation (kubectl's default), defaulting, the OpenAPI v3 schema (through
 * networknt's JSON Schema validator), and the CEL rules in {@code x-kubernetes-validations}
 * (through CEL-Java).
 *
 * <p>The order is the API server's: unknown fields refuse the object before anything else; then
 * defaults from the schema are applied and nulls of non-nullable fields pruned; then the schema is
 * checked; then, unless the schema found a type, required, enum or size error (which the API server
 * treats as blocking), every CEL rule is evaluated with {@code self} bound to the defaulted value
 * at the node that carries it.
 *
 * <p>Not covered: formats, {@code x-kubernetes-list-type} uniqueness, embedded resources' metadata
 * and transition rules ({@code oldSelf}), which only matter on update.
 *
 * <p>Other modules use it through the crds test-jar ({@code <type>test-jar</type>}, plus the {@code
 * dev.cel:cel} and {@code com.networknt:json-schema-validator} test dependencies).
 */
public final class CrdSchemaValidator {

  /** The committed Plugin CRD on the test classpath (the crds test-jar carries it). */
  public static final String PLUGIN_CRD_RESOURCE = "io/corebus/crds/plugins.corebus.io-v1.yml";

  static final ObjectMapper YAML = new YAMLMapper();

  /** Fields every resource has besides those its schema declares. */
  private static final Set<String> ROOT_FIELDS = Set.of("apiVersion", "kind", "metadata");

  /** metav1.ObjectMeta's fields: anything else in metadata is an unknown field. */
  private static final Set<String> OBJECT_META_FIELDS =
      Set.of(
          "name",
          "generateName",
          "namespace",
          "selfLink",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "labels",
          "annotations",
          "ownerReferences",
          "finalizers",
          "managedFields");

  /** A custom resource's name is a DNS subdomain (RFC 1123). */
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

  private final JsonNode schema;
  private final JsonSchema jsonSchema;
  private final CelRules rules;

  private CrdSchemaValidator(JsonNode openApiV3Schema) {
    this.schema = openApiV3Schema;
    this.jsonSchema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4)
            .getSchema(
                CrdJsonSchema.from(openApiV3Schema),
                SchemaValidatorsConfig.builder().failFast(false).build());
    this.rules = CelRules.compile(openApiV3Schema);
  }

  /** The committed Plugin CRD, read from {@value #PLUGIN_CRD_RESOURCE} on the classpath. */
  public static CrdSchemaValidator forPluginCrd() {
    try (InputStream in =
        CrdSchemaValidator.class.getClassLoader().getResourceAsStream(PLUGIN_CRD_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            PLUGIN_CRD_RESOURCE
                + " is not on the classpath: depend on corebus-crds with <type>test-jar</type>");
      }
      return forCrd(YAML.readTree(in), "v1alpha1");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A validator for one version of a CRD.
   *
   * @throws IllegalArgumentException if the version is missing or a CEL rule does not compile
   */
  public static CrdSchemaValidator forCrd(JsonNode crd, String version) {
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asText().equals(version)) {
        JsonNode schema = v.path("schema").path("openAPIV3Schema");
        if (!schema.isObject()) {
          throw new IllegalArgumentException("version " + version + " has no openAPIV3Schema");
        }
        return new CrdSchemaValidator(schema);
      }
    }
    throw new IllegalArgumentException("the CRD has no version " + version);
  }

  /** Validates one YAML document; see {@link #validate(JsonNode)}. */
  public List<Violation> validateYaml(String yaml) {
    try {
      return validate(YAML.readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Everything the API server would refuse this object for on create; empty when it would accept
   * it.
   */
  public List<Violation> validate(JsonNode object) {
    List<Violation> unknown = new ArrayList<>();
    unknownFields(object, schema, "", true, unknown);
    if (!unknown.isEmpty()) {
      return unknown;
    }
    JsonNode defaulted = withDefaults(object);
    List<Violation> out = new ArrayList<>();
    out.addAll(metadataViolations(defaulted));
    out.addAll(schemaViolations(defaulted));
    if (out.stream().anyMatch(v -> v.kind().blocksCelRules)) {
      out.add(
          new Violation(
              "",
              Violation.Kind.INVALID,
              "Invalid value: \"null\": some validation rules were not checked because the object"
                  + " was invalid; correct the existing errors to complete validation"));
    } else {
      out.addAll(rules.evaluate(defaulted, schema));
    }
    return out;
  }

  /** The object as the API server stores it: schema defaults applied, non-nullable nulls pruned. */
  public JsonNode withDefaults(JsonNode object) {
    JsonNode copy = object.deepCopy();
    applyDefaults(copy, schema);
    return copy;
  }

  /** The rules' texts by the path of the schema node that carries them ({@code [*]} = any item). */
  public Map<String, List<String>> celRules() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    rules.rules().forEach(r -> out.computeIfAbsent(r.path(), k -> new ArrayList<>()).add(r.rule()));
    return out;
  }

  /** The message each rule reports when it fails (the rule text for a rule without one). */
  public List<String> celRuleMessages() {
    return rules.rules().stream()
        .map(r -> r.message() != null ? r.message() : "failed rule: " + r.rule())
        .toList();
  }

  /** See {@link CelRules#unboundedInputs()}: empty when every rule's inputs are bounded. */
  public List<String> celRulesWithUnboundedCost() {
    return rules.unboundedInputs();
  }

  private static void unknownFields(
      JsonNode value, JsonNode schema, String path, boolean resource, List<Violation> out) {
    if (value == null || schema == null) {
      return;
    }
    if (value.isArray()) {
      JsonNode items = schema.get("items");
      for (int i = 0; i < value.size(); i++) {
        unknownFields(value.get(i), items, FieldPath.index(path, i), false, out);
      }
      return;
    }
    if (!value.isObject()) {
      return;
    }
    boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    boolean embedded = resource || schema.path("x-kubernetes-embedded-resource").asBoolean(false);
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Map.Entry<String, JsonNode> e : value.properties()) {
      String name = e.getKey();
      String child = FieldPath.child(path, name);
      if (properties.has(name)) {
        unknownFields(e.getValue(), properties.get(name), child, false, out);
      } else if (embedded && ROOT_FIELDS.contains(name)) {
        if (name.equals("metadata") && e.getValue().isObject()) {
          e.getValue()
              .fieldNames()
              .forEachRemaining(
                  f -> {
                    if (!OBJECT_META_FIELDS.contains(f)) {
                      out.add(
                          new Violation(
                              FieldPath.child(child, f), Violation.Kind.UNKNOWN_FIELD, ""));
                    }
                  });
        }
      } else if (additional != null && additional.isObject()) {
        unknownFields(e.getValue(), additional, FieldPath.key(path, name), false, out);
      } else if (!preserve && !(additional != null && additional.asBoolean(false))) {
        out.add(new Violation(child, Violation.Kind.UNKNOWN_FIELD, ""));
      }
    }
  }

  /** structuraldefaulting.Default then PruneNonNullableNullsWithoutDefaults, in one walk. */
  private static void applyDefaults(JsonNode value, JsonNode schema) {
    if (schema == null) {
      return;
    }
    if (value instanceof ObjectNode object) {
      JsonNode properties = schema.path("properties");
      for (Map.Entry<String, JsonNode> p : properties.properties()) {
        JsonNode current = object.get(p.getKey());
        if (p.getValue().has("default") && (current == null || nonNullableNull(current, p))) {
          object.set(p.getKey(), p.getValue().get("default").deepCopy());
        }
      }
      JsonNode additional = schema.get("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = object.properties().iterator();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode child =
            properties.has(e.getKey())
                ? properties.get(e.getKey())
                : additional != null && additional.isObject() ? additional : null;
        if (child == null) {
          continue;
        }
        if (e.getValue().isNull() && !child.path("nullable").asBoolean(false)) {
          if (child.has("default")) {
            e.setValue(child.get("default").deepCopy());
          } else {
            it.remove();
            continue;
          }
        }
        applyDefaults(e.getValue(), child);
      }
    } else if (value instanceof ArrayNode array) {
      JsonNode items = schema.get("items");
      if (items == null || !items.isObject()) {
        return;
      }
      for (int i = array.size() - 1; i >= 0; i--) {
        if (array.get(i).isNull() && !items.path("nullable").asBoolean(false)) {
          if (items.has("default")) {
            array.set(i, items.get("default").deepCopy());
          } else {
            array.remove(i);
            continue;
          }
        }
        applyDefaults(array.get(i), items);
      }
    }
  }

  private static boolean nonNullableNull(JsonNode value, Map.Entry<String, JsonNode> property) {
    return value.isNull() && !property.getValue().path("nullable").asBoolean(false);
  }

  private static List<Violation> metadataViolations(JsonNode object) {
    JsonNode metadata = object.path("metadata");
    String name = metadata.path("name").asText("");
    if (name.isEmpty()) {
      if (metadata.path("generateName").asText("").isEmpty()) {
        return List.of(
            new Violation(
                "metadata.name",
                Violation.Kind.REQUIRED,
                "Required value: name or generateName is required"));
      }
      return List.of();
    }
    if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
      return List.of(
          new Violation(
              "metadata.name",
              Violation.Kind.INVALID,
              "Invalid value: \""
                  + name
                  + "\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"
                  + " characters, '-' or '.', and must start and end with an alphanumeric"
                  + " character"));
    }
    return List.of();
  }

  private List<Violation> schemaViolations(JsonNode object) {
    List<Violation> out = new ArrayList<>();
    for (ValidationMessage m : jsonSchema.validate(object)) {
      out.add(toViolation(m));
    }
    out.sort(Comparator.comparing(Violation::field).thenComparing(Violation::detail));
    return out;
  }

  /** networknt's message, reworded the way the API server words the same error. */
  private static Violation toViolation(ValidationMessage m) {
    String field = fieldPath(m.getInstanceLocation());
    JsonNode value = m.getInstanceNode();
    JsonNode keyword = m.getSchemaNode();
    String shown = String.valueOf(value); // JSON: strings quoted, as kubectl shows them
    String in = field + " in body";
    return switch (m.getType()) {
      case "required" ->
          new Violation(
              FieldPath.child(field, m.getProperty()), Violation.Kind.REQUIRED, "Required value");
      case "type", "anyOf" ->
          new Violation(
              field,
              Violation.Kind.TYPE_INVALID,
              "Invalid value: \""
                  + jsonType(value)
                  + "\": "
                  + in
                  + " must be of type "
                  + expectedType(keyword, m));
      case "enum" -> {
        List<String> allowed = new ArrayList<>();
        keyword.forEach(a -> allowed.add(a.toString()));
        yield new Violation(
            field,
            Violation.Kind.NOT_SUPPORTED,
            "Unsupported value: " + shown + ": supported values: " + String.join(", ", allowed));
      }
      case "pattern" ->
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: " + shown + ": " + in + " should match '" + keyword.asText() + "'");
      case "minimum" ->
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: "
                  + shown
                  + ": "
                  + in
                  + " should be greater than or equal to "
                  + number(keyword));
      case "maximum" ->
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: "
                  + shown
                  + ": "
                  + in
                  + " should be less than or equal to "
                  + number(keyword));
      case "maxItems", "maxProperties" ->
          new Violation(
              field,
              Violation.Kind.TOO_MANY,
              "Too many: " + value.size() + ": must have at most " + number(keyword) + " items");
      case "minItems", "minProperties" ->
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: "
                  + value.size()
                  + ": "
                  + in
                  + " should have at least "
                  + number(keyword)
                  + (m.getType().equals("minItems") ? " items" : " properties"));
      case "maxLength" ->
          new Violation(
              field,
              Violation.Kind.TOO_LONG,
              "Too long: may not be more than " + number(keyword) + " bytes");
      case "minLength" ->
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: "
                  + shown
                  + ": "
                  + in
                  + " should be at least "
                  + number(keyword)
                  + " chars long");
      case "uniqueItems" ->
          new Violation(field, Violation.Kind.DUPLICATE, "Duplicate value: " + shown);
      default -> new Violation(field, Violation.Kind.INVALID, m.getMessage());
    };
  }

  private static String fieldPath(JsonNodePath location) {
    String path = "";
    for (int i = 0; i < location.getNameCount(); i++) {
      Object element = location.getElement(i);
      path =
          element instanceof Integer index
              ? FieldPath.index(path, index)
              : FieldPath.child(path, String.valueOf(element));
    }
    return path;
  }

  private static String jsonType(JsonNode value) {
    if (value == null || value.isNull()) {
      return "null";
    }
    if (value.isObject()) {
      return "object";
    }
    if (value.isArray()) {
      return "array";
    }
    if (value.isTextual()) {
      return "string";
    }
    if (value.isBoolean()) {
      return "boolean";
    }
    return value.canConvertToExactIntegral() ? "integer" : "number";
  }

  private static String expectedType(JsonNode keyword, ValidationMessage m) {
    if (m.getType().equals("anyOf")) {
      List<String> types = new ArrayList<>();
      keyword.forEach(alternative -> types.add(alternative.path("type").asText()));
      return String.join(" or ", types);
    }
    return keyword.isArray() ? keyword.toString() : keyword.asText();
  }

  private static String number(JsonNode keyword) {
    return keyword.canConvertToExactIntegral()
        ? String.valueOf(keyword.asLong())
        : keyword.asText();
  }
}
