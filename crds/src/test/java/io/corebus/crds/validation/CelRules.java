package io.corebus.crds.validation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.types.CelType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code x-kubernetes-validations} rules of a CRD schema, compiled and evaluated the way the
 * API server does: each rule's {@code self} is the value at the schema node that carries it, typed
 * from the schema; a rule runs only where that value is present; the error names {@code fieldPath}
 * (or the node) and uses {@code messageExpression}, {@code message} or the rule text, in that
 * order.
 *
 * <p>Rules that use {@code oldSelf} are transition rules: the API server runs them on updates only,
 * and so does this class never (it checks creates).
 */
final class CelRules {

  /** cel-go's semantics, which the API server uses, where cel-java's defaults differ. */
  private static final CelOptions OPTIONS =
      CelOptions.current()
          .enableRegexPartialMatch(true)
          .enableHeterogeneousNumericComparisons(true)
          .build();

  private static final Pattern FIELD_PATH_SEGMENT =
      Pattern.compile("\\.([A-Za-z_][A-Za-z0-9_-]*)|\\['([^']*)'\\]");

  /** String functions whose cost grows with the string: their receiver needs a maxLength. */
  private static final Set<String> STRING_SCANNING =
      Set.of(
          "matches",
          "contains",
          "startsWith",
          "endsWith",
          "find",
          "findAll",
          "indexOf",
          "lastIndexOf",
          "replace",
          "split",
          "lowerAscii",
          "upperAscii",
          "trim",
          "substring",
          "charAt");

  /** One rule, where it sits and how it was compiled. */
  record Rule(
      String path,
      JsonNode schema,
      String rule,
      String message,
      String messageExpression,
      String fieldPath,
      String reason,
      Cel cel,
      CelAbstractSyntaxTree ast,
      CelAbstractSyntaxTree messageAst) {

    boolean isTransitionRule() {
      return references(ast.getExpr(), "oldSelf");
    }
  }

  private final List<Rule> rules;
  private final Map<JsonNode, List<Rule>> bySchemaNode = new IdentityHashMap<>();

  private CelRules(List<Rule> rules) {
    this.rules = List.copyOf(rules);
    rules.forEach(r -> bySchemaNode.computeIfAbsent(r.schema(), k -> new ArrayList<>()).add(r));
  }

  /**
   * Compiles every rule under {@code rootSchema}.
   *
   * @throws IllegalArgumentException naming each rule that does not compile, as the API server
   *     refuses such a CRD
   */
  static CelRules compile(JsonNode rootSchema) {
    CelSchemaTypes types = new CelSchemaTypes();
    List<Rule> rules = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    collect(rootSchema, "", true, types, rules, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "the API server would refuse this CRD:\n  " + String.join("\n  ", problems));
    }
    return new CelRules(rules);
  }

  List<Rule> rules() {
    return rules;
  }

  private static void collect(
      JsonNode schema,
      String path,
      boolean root,
      CelSchemaTypes types,
      List<Rule> rules,
      List<String> problems) {
    JsonNode validations = schema.get("x-kubernetes-validations");
    if (validations != null && !validations.isEmpty()) {
      CelType self = root ? types.declareRoot(schema) : types.declare(schema, path);
      Cel cel =
          CelFactory.standardCelBuilder()
              .setOptions(OPTIONS)
              .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
              .addCompilerLibraries(CelExtensions.strings(), CelExtensions.sets(OPTIONS))
              .addRuntimeLibraries(CelExtensions.strings(), CelExtensions.sets(OPTIONS))
              .setTypeProvider(types.provider())
              .addVar("self", self)
              .addVar("oldSelf", self)
              .build();
      String where = path.isEmpty() ? "<root>" : path;
      for (JsonNode v : validations) {
        String rule = v.path("rule").asText();
        String messageExpression = text(v, "messageExpression");
        try {
          CelAbstractSyntaxTree ast = cel.compile(rule).getAst();
          if (!ast.getResultType().equals(SimpleType.BOOL)) {
            problems.add(where + ": rule '" + rule + "' must evaluate to bool");
            continue;
          }
          String fieldPath = text(v, "fieldPath");
          if (fieldPath != null && !fieldPathExists(schema, fieldPath)) {
            problems.add(where + ": fieldPath '" + fieldPath + "' names no field of the schema");
            continue;
          }
          CelAbstractSyntaxTree messageAst = null;
          if (messageExpression != null) {
            messageAst = cel.compile(messageExpression).getAst();
            if (!messageAst.getResultType().equals(SimpleType.STRING)) {
              problems.add(where + ": messageExpression must evaluate to string");
              continue;
            }
          }
          rules.add(
              new Rule(
                  path,
                  schema,
                  rule,
                  text(v, "message"),
                  messageExpression,
                  text(v, "fieldPath"),
                  text(v, "reason"),
                  cel,
                  ast,
                  messageAst));
        } catch (CelValidationException e) {
          problems.add(where + ": rule '" + rule + "' does not compile: " + e.getMessage());
        }
      }
    }
    for (Map.Entry<String, JsonNode> p : schema.path("properties").properties()) {
      collect(p.getValue(), FieldPath.child(path, p.getKey()), false, types, rules, problems);
    }
    if (schema.path("items").isObject()) {
      collect(schema.get("items"), path + "[*]", false, types, rules, problems);
    }
    if (schema.path("additionalProperties").isObject()) {
      collect(schema.get("additionalProperties"), path + "[*]", false, types, rules, problems);
    }
  }

  /** Runs every rule where its node has a value in {@code object} (already defaulted). */
  List<Violation> evaluate(JsonNode object, JsonNode rootSchema) {
    List<Violation> out = new ArrayList<>();
    evaluate(object, rootSchema, "", true, rootSchema, out);
    return out;
  }

  private void evaluate(
      JsonNode value,
      JsonNode schema,
      String path,
      boolean root,
      JsonNode rootSchema,
      List<Violation> out) {
    if (value == null || value.isNull()) {
      return;
    }
    List<Rule> here = bySchemaNode.getOrDefault(schema, List.of());
    if (!here.isEmpty()) {
      Object self =
          root ? CelSchemaTypes.rootValue(value, rootSchema) : CelSchemaTypes.value(value, schema);
      for (Rule rule : here) {
        if (!rule.isTransitionRule()) {
          evaluate(rule, self, path, schema.path("type").asText("object"), out);
        }
      }
    }
    if (value.isObject()) {
      JsonNode properties = schema.get("properties");
      JsonNode additional = schema.get("additionalProperties");
      for (Map.Entry<String, JsonNode> e : value.properties()) {
        if (properties != null && properties.has(e.getKey())) {
          evaluate(
              e.getValue(),
              properties.get(e.getKey()),
              FieldPath.child(path, e.getKey()),
              false,
              rootSchema,
              out);
        } else if (additional != null && additional.isObject()) {
          evaluate(
              e.getValue(), additional, FieldPath.key(path, e.getKey()), false, rootSchema, out);
        }
      }
    } else if (value.isArray() && schema.path("items").isObject()) {
      for (int i = 0; i < value.size(); i++) {
        evaluate(
            value.get(i), schema.get("items"), FieldPath.index(path, i), false, rootSchema, out);
      }
    }
  }

  private static void evaluate(
      Rule rule, Object self, String path, String type, List<Violation> out) {
    String field = rule.fieldPath() == null ? path : append(path, rule.fieldPath());
    Object result;
    try {
      result = rule.cel().createProgram(rule.ast()).eval(Map.of("self", self));
    } catch (CelEvaluationException e) {
      out.add(
          new Violation(
              field,
              Violation.Kind.INVALID,
              "Invalid value: \""
                  + type
                  + "\": "
                  + e.getMessage()
                  + " evaluating rule: "
                  + rule.rule()));
      return;
    }
    if (Boolean.TRUE.equals(result)) {
      return;
    }
    String message = message(rule, self);
    Violation.Kind kind =
        switch (rule.reason() == null ? "FieldValueInvalid" : rule.reason()) {
          case "FieldValueRequired" -> Violation.Kind.REQUIRED;
          case "FieldValueForbidden" -> Violation.Kind.FORBIDDEN;
          case "FieldValueDuplicate" -> Violation.Kind.DUPLICATE;
          default -> Violation.Kind.INVALID;
        };
    String detail =
        switch (kind) {
          case REQUIRED -> "Required value: " + message;
          case FORBIDDEN -> "Forbidden: " + message;
          case DUPLICATE -> "Duplicate value: " + message;
          default -> "Invalid value: \"" + type + "\": " + message;
        };
    out.add(new Violation(field, kind, detail));
  }

  private static String message(Rule rule, Object self) {
    if (rule.messageAst() != null) {
      try {
        Object m = rule.cel().createProgram(rule.messageAst()).eval(Map.of("self", self));
        if (m instanceof String s && !s.isBlank()) {
          return s;
        }
      } catch (CelEvaluationException e) {
        // The API server falls back to message, as here.
      }
    }
    return rule.message() != null ? rule.message() : "failed rule: " + rule.rule();
  }

  /**
   * The API server refuses a rule whose fieldPath does not lead to a property of the schema (or to
   * an entry of a map, written {@code ['key']}).
   */
  private static boolean fieldPathExists(JsonNode schema, String fieldPath) {
    Matcher m = FIELD_PATH_SEGMENT.matcher(fieldPath);
    JsonNode node = schema;
    int end = 0;
    while (m.find() && m.start() == end) {
      end = m.end();
      if (m.group(1) != null) {
        node = node.path("properties").get(m.group(1));
      } else {
        node =
            node.path("additionalProperties").isObject() ? node.get("additionalProperties") : null;
      }
      if (node == null) {
        return false;
      }
    }
    return end == fieldPath.length() && end > 0;
  }

  /** fieldPath is relative: {@code .min}, {@code .a.b} or {@code ['key']}. */
  private static String append(String path, String fieldPath) {
    String relative = fieldPath.startsWith(".") ? fieldPath.substring(1) : fieldPath;
    if (relative.startsWith("[")) {
      return path + relative;
    }
    return FieldPath.child(path, relative);
  }

  /**
   * A rough version of the API server's cost estimate: every list or map a rule iterates needs
   * maxItems or maxProperties, and every string a rule scans (matches, contains, ...) needs
   * maxLength or an enum. The API server refuses rules whose estimated cost is unbounded, so a rule
   * that fails here will likely be refused there. Map keys count as bounded, as the API server
   * estimates their size as fixed.
   *
   * @return one sentence per unbounded input, naming the rule and the field
   */
  List<String> unboundedInputs() {
    List<String> problems = new ArrayList<>();
    for (Rule rule : rules) {
      new CostWalk(rule, problems).walk(rule.ast().getExpr(), Map.of());
    }
    return problems;
  }

  /** What an expression in a rule refers to: a schema node, or the key of a map being iterated. */
  private record Input(JsonNode schema, boolean mapKey, String path) {}

  private static final class CostWalk {
    private final Rule rule;
    private final List<String> problems;

    CostWalk(Rule rule, List<String> problems) {
      this.rule = rule;
      this.problems = problems;
    }

    void walk(CelExpr e, Map<String, Input> vars) {
      switch (e.getKind()) {
        case COMPREHENSION -> {
          var c = e.comprehension();
          walk(c.iterRange(), vars);
          Map<String, Input> inner = new HashMap<>(vars);
          iterated(c.iterRange(), vars).ifPresent(element -> inner.put(c.iterVar(), element));
          walk(c.accuInit(), inner);
          walk(c.loopCondition(), inner);
          walk(c.loopStep(), inner);
          walk(c.result(), inner);
        }
        case CALL -> {
          var call = e.call();
          if (STRING_SCANNING.contains(call.function())) {
            Optional<CelExpr> receiver = call.target().or(() -> call.args().stream().findFirst());
            receiver.flatMap(r -> resolve(r, vars)).ifPresent(this::checkString);
          }
          call.target().ifPresent(t -> walk(t, vars));
          call.args().forEach(a -> walk(a, vars));
        }
        case SELECT -> walk(e.select().operand(), vars);
        case LIST -> e.list().elements().forEach(x -> walk(x, vars));
        case MAP ->
            e.map()
                .entries()
                .forEach(
                    x -> {
                      walk(x.key(), vars);
                      walk(x.value(), vars);
                    });
        case STRUCT -> e.struct().entries().forEach(x -> walk(x.value(), vars));
        default -> {}
      }
    }

    /** The element an iteration binds, after checking that the iterated collection is bounded. */
    private Optional<Input> iterated(CelExpr range, Map<String, Input> vars) {
      if (range.getKind() == CelExpr.ExprKind.Kind.LIST) {
        return Optional.empty();
      }
      Optional<Input> input = resolve(range, vars);
      if (input.isEmpty() || input.get().mapKey()) {
        problems.add(
            describe() + " iterates something whose size the schema does not bound: " + range);
        return Optional.empty();
      }
      JsonNode s = input.get().schema();
      String where = input.get().path();
      if (s.path("type").asText().equals("array")) {
        if (!s.has("maxItems")) {
          problems.add(describe() + " iterates " + where + ", which has no maxItems");
        }
        return Optional.of(new Input(s.path("items"), false, where + "[*]"));
      }
      if (s.path("additionalProperties").isObject()) {
        if (!s.has("maxProperties")) {
          problems.add(describe() + " iterates " + where + ", which has no maxProperties");
        }
        return Optional.of(new Input(null, true, where + " keys"));
      }
      problems.add(describe() + " iterates " + where + ", which is neither a list nor a map");
      return Optional.empty();
    }

    private void checkString(Input input) {
      if (input.mapKey() || input.schema() == null) {
        return;
      }
      JsonNode s = input.schema();
      if (s.path("type").asText().equals("string") && !s.has("maxLength") && !s.has("enum")) {
        problems.add(describe() + " scans " + input.path() + ", which has no maxLength");
      }
    }

    /** The schema node an expression such as {@code self.a.b[0]} or an iteration variable names. */
    private Optional<Input> resolve(CelExpr e, Map<String, Input> vars) {
      switch (e.getKind()) {
        case IDENT -> {
          String name = e.ident().name();
          if (name.equals("self")) {
            return Optional.of(new Input(rule.schema(), false, where()));
          }
          return Optional.ofNullable(vars.get(name));
        }
        case SELECT -> {
          if (e.select().testOnly()) {
            return Optional.empty();
          }
          return resolve(e.select().operand(), vars)
              .flatMap(parent -> child(parent, e.select().field()));
        }
        case CALL -> {
          if (e.call().function().equals("_[_]") && e.call().args().size() == 2) {
            return resolve(e.call().args().get(0), vars).flatMap(CostWalk::element);
          }
          return Optional.empty();
        }
        default -> {
          return Optional.empty();
        }
      }
    }

    private static Optional<Input> child(Input parent, String escapedField) {
      if (parent.schema() == null) {
        return Optional.empty();
      }
      for (Map.Entry<String, JsonNode> p : parent.schema().path("properties").properties()) {
        if (CelSchemaTypes.escape(p.getKey()).orElse("").equals(escapedField)) {
          return Optional.of(
              new Input(p.getValue(), false, FieldPath.child(parent.path(), p.getKey())));
        }
      }
      return element(parent);
    }

    private static Optional<Input> element(Input parent) {
      if (parent.schema() == null) {
        return Optional.empty();
      }
      JsonNode s = parent.schema();
      if (s.path("items").isObject()) {
        return Optional.of(new Input(s.get("items"), false, parent.path() + "[*]"));
      }
      if (s.path("additionalProperties").isObject()) {
        return Optional.of(new Input(s.get("additionalProperties"), false, parent.path() + "[*]"));
      }
      return Optional.empty();
    }

    private String where() {
      return rule.path().isEmpty() ? "<root>" : rule.path();
    }

    private String describe() {
      return "rule '" + rule.rule() + "' on " + where();
    }
  }

  private static boolean references(CelExpr e, String ident) {
    return switch (e.getKind()) {
      case IDENT -> e.ident().name().equals(ident);
      case SELECT -> references(e.select().operand(), ident);
      case CALL ->
          e.call().target().map(t -> references(t, ident)).orElse(false)
              || e.call().args().stream().anyMatch(a -> references(a, ident));
      case LIST -> e.list().elements().stream().anyMatch(x -> references(x, ident));
      case MAP ->
          e.map().entries().stream()
              .anyMatch(x -> references(x.key(), ident) || references(x.value(), ident));
      case STRUCT -> e.struct().entries().stream().anyMatch(x -> references(x.value(), ident));
      case COMPREHENSION -> {
        var c = e.comprehension();
        yield references(c.iterRange(), ident)
            || references(c.accuInit(), ident)
            || references(c.loopCondition(), ident)
            || references(c.loopStep(), ident)
            || references(c.result(), ident);
      }
      default -> false;
    };
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
