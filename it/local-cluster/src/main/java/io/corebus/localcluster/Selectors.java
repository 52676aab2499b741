package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Label selectors ({@code a=b}, {@code a!=b}, {@code a in (x,y)}, {@code a notin (x)}, {@code a},
 * {@code !a}) and field selectors ({@code spec.nodeName=n}, {@code status.phase!=Running}) as the
 * API server evaluates them. The mock store splits selectors at every comma and knows only
 * equality, so list requests are filtered here instead.
 */
final class Selectors {
  private Selectors() {}

  private static final Pattern SET =
      Pattern.compile("^\\s*([A-Za-z0-9_./-]+)\\s+(in|notin)\\s*\\(([^)]*)\\)\\s*$");
  private static final Pattern EQUALITY =
      Pattern.compile("^\\s*([A-Za-z0-9_./-]+)\\s*(==|=|!=)\\s*([A-Za-z0-9_./-]*)\\s*$");
  private static final Pattern EXISTS = Pattern.compile("^\\s*(!?)\\s*([A-Za-z0-9_./-]+)\\s*$");

  /** One requirement of a selector. */
  record Requirement(String key, String operator, Set<String> values) {

    boolean matches(String actual) {
      return switch (operator) {
        case "=", "==", "in" -> actual != null && values.contains(actual);
        case "!=", "notin" -> actual == null || !values.contains(actual);
        case "exists" -> actual != null;
        case "!" -> actual == null;
        default -> false;
      };
    }

    /** Whether the mock store can evaluate this one itself (in a watch). */
    boolean storeCanEvaluate() {
      return operator.equals("=")
          || operator.equals("==")
          || operator.equals("!=")
          || operator.equals("exists")
          || operator.equals("!")
          || (operator.equals("in") && values.size() == 1);
    }

    String asStoreTerm() {
      return switch (operator) {
        case "in" -> key + "=" + values.iterator().next();
        case "exists" -> key;
        case "!" -> "!" + key;
        default -> key + operator + values.iterator().next();
      };
    }
  }

  /** Parses a selector; throws IllegalArgumentException on a term it cannot read. */
  static List<Requirement> parse(String selector) {
    List<Requirement> out = new ArrayList<>();
    if (selector == null || selector.isBlank()) {
      return out;
    }
    for (String term : terms(selector)) {
      Matcher m = SET.matcher(term);
      if (m.matches()) {
        Set<String> values = new LinkedHashSet<>();
        for (String v : m.group(3).split(",")) {
          if (!v.isBlank()) {
            values.add(v.trim());
          }
        }
        out.add(new Requirement(m.group(1), m.group(2), values));
        continue;
      }
      m = EQUALITY.matcher(term);
      if (m.matches()) {
        out.add(new Requirement(m.group(1), m.group(2), Set.of(m.group(3))));
        continue;
      }
      m = EXISTS.matcher(term);
      if (m.matches()) {
        out.add(new Requirement(m.group(2), m.group(1).isEmpty() ? "exists" : "!", Set.of()));
        continue;
      }
      throw new IllegalArgumentException("unable to parse requirement: " + term);
    }
    return out;
  }

  /** Splits at commas that are not inside parentheses. */
  private static List<String> terms(String selector) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    StringBuilder current = new StringBuilder();
    for (char c : selector.toCharArray()) {
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        out.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString());
    }
    return out;
  }

  static boolean labelsMatch(List<Requirement> requirements, JsonNode object) {
    JsonNode labels = object.path("metadata").path("labels");
    for (Requirement r : requirements) {
      JsonNode v = labels.get(r.key());
      if (!r.matches(v == null || v.isNull() ? null : v.asText())) {
        return false;
      }
    }
    return true;
  }

  static boolean fieldsMatch(List<Requirement> requirements, JsonNode object) {
    for (Requirement r : requirements) {
      JsonNode n = object;
      for (String part : r.key().split("\\.")) {
        n = n.path(part);
      }
      String actual = n.isMissingNode() || n.isNull() ? "" : n.asText();
      // Field selectors compare against "" for missing fields, as the API server does.
      Requirement eq =
          new Requirement(r.key(), r.operator(), r.values().isEmpty() ? Set.of("") : r.values());
      if (!eq.matches(actual)) {
        return false;
      }
    }
    return true;
  }

  /** Joins requirements back into a selector the store understands. */
  static String forStore(List<Requirement> requirements) {
    StringBuilder b = new StringBuilder();
    for (Iterator<Requirement> it = requirements.iterator(); it.hasNext(); ) {
      b.append(it.next().asStoreTerm());
      if (it.hasNext()) {
        b.append(',');
      }
    }
    return b.toString();
  }

  /** Field selector terms the store evaluates on its own (it indexes name and namespace). */
  static boolean storeIndexes(Requirement field) {
    return (field.key().equals("metadata.name") || field.key().equals("metadata.namespace"))
        && (field.operator().equals("=") || field.operator().equals("=="));
  }

  static Map<String, String> without(Map<String, String> query, String... keys) {
    Map<String, String> copy = new java.util.LinkedHashMap<>(query);
    for (String k : keys) {
      copy.remove(k);
    }
    return copy;
  }
}
