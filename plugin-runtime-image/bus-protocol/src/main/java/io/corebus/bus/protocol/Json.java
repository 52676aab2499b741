package io.corebus.bus.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The little JSON the bus protocol needs, without a library (this module has no dependencies):
 * objects, arrays, strings, integers, booleans and null. Strict: anything else, trailing input or
 * nesting deeper than {@value #MAX_DEPTH} is an {@link IllegalArgumentException} naming the
 * position.
 */
final class Json {
  static final int MAX_DEPTH = 16;

  private final String s;
  private int i;
  private int depth;

  private Json(String s) {
    this.s = Objects.requireNonNull(s, "json");
  }

  /** Parses one JSON value: a Map, List, String, Long, Boolean or null. */
  static Object parse(String json) {
    Json p = new Json(json);
    Object v = p.value();
    p.skipSpace();
    if (p.i != p.s.length()) {
      throw p.error("the end of the input");
    }
    return v;
  }

  /** Writes Maps (keys in iteration order), Lists, Strings, Numbers, Booleans and null. */
  static String write(Object value) {
    StringBuilder b = new StringBuilder(128);
    write(b, value);
    return b.toString();
  }

  private static void write(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String str) {
      quote(b, str);
    } else if (v instanceof Number || v instanceof Boolean) {
      b.append(v);
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        quote(b, String.valueOf(e.getKey()));
        b.append(':');
        write(b, e.getValue());
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int k = 0; k < l.size(); k++) {
        if (k > 0) {
          b.append(',');
        }
        write(b, l.get(k));
      }
      b.append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
    }
  }

  private static void quote(StringBuilder b, String value) {
    b.append('"');
    for (int k = 0; k < value.length(); k++) {
      char c = value.charAt(k);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }

  private Object value() {
    char c = peek();
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    enter();
    Map<String, Object> m = new LinkedHashMap<>();
    i++; // '{'
    if (peek() == '}') {
      i++;
      depth--;
      return m;
    }
    do {
      if (peek() != '"') {
        throw error("a field name");
      }
      int at = i;
      String key = string();
      expect(':');
      if (m.containsKey(key)) {
        i = at;
        throw error("no second field named '" + key + "'");
      }
      m.put(key, value());
    } while (comma());
    expect('}');
    depth--;
    return m;
  }

  private List<Object> array() {
    enter();
    List<Object> l = new ArrayList<>();
    i++; // '['
    if (peek() == ']') {
      i++;
      depth--;
      return l;
    }
    do {
      l.add(value());
    } while (comma());
    expect(']');
    depth--;
    return l;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw error("nesting of at most " + MAX_DEPTH + " levels");
    }
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, i)) {
      throw error("a value");
    }
    i += word.length();
    return value;
  }

  private Long number() {
    int start = i;
    if (i < s.length() && s.charAt(i) == '-') {
      i++;
    }
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == start || (i == start + 1 && s.charAt(start) == '-')) {
      i = start;
      throw error("a value");
    }
    if (i < s.length() && ".eE".indexOf(s.charAt(i)) >= 0) {
      throw error("an integer");
    }
    try {
      return Long.parseLong(s.substring(start, i));
    } catch (NumberFormatException e) {
      i = start;
      throw error("an integer that fits 64 bits");
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) {
        throw error("a closing '\"'");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        i--;
        throw error("no control character inside a string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i >= s.length()) {
        throw error("an escape");
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) {
            throw error("four hex digits");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          } catch (NumberFormatException x) {
            throw error("four hex digits");
          }
          i += 4;
        }
        default -> {
          i--;
          throw error("a valid escape");
        }
      }
    }
  }

  private boolean comma() {
    if (peek() == ',') {
      i++;
      return true;
    }
    return false;
  }

  private void skipSpace() {
    while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
  }

  private char peek() {
    skipSpace();
    if (i >= s.length()) {
      throw error("more input");
    }
    return s.charAt(i);
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("'" + c + "'");
    }
    i++;
  }

  private IllegalArgumentException error(String expected) {
    return new IllegalArgumentException("expected " + expected + " at position " + i);
  }
}
