package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Server-side printing ({@code meta.k8s.io/v1 Table}), which is what {@code kubectl get} asks for:
 * a custom resource gets its CRD's additionalPrinterColumns, pods get kubectl's usual READY /
 * STATUS / RESTARTS / AGE (and IP / NODE with {@code -o wide}), anything else NAME and AGE.
 *
 * <p>JSONPath support is the subset printer columns use: {@code .a.b}, {@code [n]}, {@code [*]} and
 * {@code [?(@.field=="value")]}.
 */
final class PrinterColumns {
  private PrinterColumns() {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern FILTER =
      Pattern.compile("\\?\\(@\\.([A-Za-z0-9_.-]+)\\s*==\\s*[\"']([^\"']*)[\"']\\)");

  private record Column(String name, String type, String format, int priority, String jsonPath) {}

  static ObjectNode table(ApiDiscovery.Resource resource, List<JsonNode> objects, JsonNode body) {
    List<Column> columns = columns(resource);
    ObjectNode table = NODES.objectNode();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = table.putObject("metadata");
    JsonNode rv = body.path("metadata").path("resourceVersion");
    if (rv.isTextual()) {
      meta.put("resourceVersion", rv.asText());
    }
    ArrayNode defs = table.putArray("columnDefinitions");
    for (Column c : columns) {
      ObjectNode d = defs.addObject();
      d.put("name", c.name());
      d.put("type", c.type());
      d.put("format", c.format());
      d.put("description", "");
      d.put("priority", c.priority());
    }
    ArrayNode rows = table.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : columns) {
        cells.add(cell(resource, c, o));
      }
      row.set("object", o);
    }
    return table;
  }

  private static List<Column> columns(ApiDiscovery.Resource resource) {
    List<Column> columns = new ArrayList<>();
    columns.add(new Column("Name", "string", "name", 0, ".metadata.name"));
    if (resource != null && resource.custom() != null) {
      JsonNode printer = resource.custom().printerColumns();
      if (printer.isArray() && !printer.isEmpty()) {
        for (JsonNode p : printer) {
          columns.add(
              new Column(
                  p.path("name").asText(),
                  p.path("type").asText("string"),
                  p.path("format").asText(""),
                  p.path("priority").asInt(0),
                  p.path("jsonPath").asText()));
        }
        return columns;
      }
    } else if (resource != null && resource.group().isEmpty()) {
      switch (resource.plural()) {
        case "pods" -> {
          columns.add(new Column("Ready", "string", "", 0, "#ready"));
          columns.add(new Column("Status", "string", "", 0, "#status"));
          columns.add(new Column("Restarts", "string", "", 0, "#restarts"));
          columns.add(new Column("Age", "string", "", 0, "#age"));
          columns.add(new Column("IP", "string", "", 1, ".status.podIP"));
          columns.add(new Column("Node", "string", "", 1, ".spec.nodeName"));
          return columns;
        }
        case "namespaces", "nodes" -> {
          columns.add(new Column("Status", "string", "", 0, "#phase"));
        }
        default -> {}
      }
    }
    columns.add(new Column("Age", "string", "", 0, "#age"));
    return columns;
  }

  private static JsonNode cell(ApiDiscovery.Resource resource, Column c, JsonNode o) {
    switch (c.jsonPath()) {
      case "#age":
        return NODES.textNode(age(o.path("metadata").path("creationTimestamp").asText("")));
      case "#ready":
        {
          int ready = 0;
          int total = 0;
          for (JsonNode s : o.path("status").path("containerStatuses")) {
            total++;
            if (s.path("ready").asBoolean()) {
              ready++;
            }
          }
          total = Math.max(total, o.path("spec").path("containers").size());
          return NODES.textNode(ready + "/" + total);
        }
      case "#restarts":
        {
          int restarts = 0;
          for (JsonNode s : o.path("status").path("containerStatuses")) {
            restarts += s.path("restartCount").asInt();
          }
          return NODES.textNode(String.valueOf(restarts));
        }
      case "#status":
        return NODES.textNode(podStatus(o));
      case "#phase":
        {
          if (resource != null && resource.plural().equals("nodes")) {
            for (JsonNode cond : o.path("status").path("conditions")) {
              if (cond.path("type").asText().equals("Ready")) {
                return NODES.textNode(
                    cond.path("status").asText().equals("True") ? "Ready" : "NotReady");
              }
            }
            return NODES.textNode("Unknown");
          }
          return NODES.textNode(o.path("status").path("phase").asText("Active"));
        }
      default:
        break;
    }
    JsonNode v = first(o, c.jsonPath());
    if (v == null || v.isNull() || v.isMissingNode()) {
      return NODES.nullNode();
    }
    if ("date".equals(c.type())) {
      return NODES.textNode(age(v.asText()));
    }
    return v;
  }

  /** What kubectl shows as a pod's STATUS. */
  static String podStatus(JsonNode pod) {
    if (pod.path("metadata").has("deletionTimestamp")) {
      return "Terminating";
    }
    String reason = pod.path("status").path("phase").asText("Pending");
    for (JsonNode s : pod.path("status").path("containerStatuses")) {
      JsonNode waiting = s.path("state").path("waiting");
      JsonNode terminated = s.path("state").path("terminated");
      if (waiting.has("reason")) {
        reason = waiting.path("reason").asText();
      } else if (terminated.has("reason")) {
        reason = terminated.path("reason").asText();
      }
    }
    return reason;
  }

  static String age(String timestamp) {
    if (timestamp.isEmpty()) {
      return "<unknown>";
    }
    try {
      Duration d = Duration.between(Instant.parse(timestamp), Instant.now());
      long s = Math.max(0, d.getSeconds());
      if (s < 120) {
        return s + "s";
      }
      if (s < 3600) {
        return (s / 60) + "m";
      }
      if (s < 48 * 3600) {
        return (s / 3600) + "h";
      }
      return (s / 86400) + "d";
    } catch (DateTimeParseException e) {
      return "<invalid>";
    }
  }

  /** The first node a printer-column JSONPath selects, or null. */
  static JsonNode first(JsonNode root, String path) {
    List<JsonNode> current = List.of(root);
    String p = path.trim();
    if (p.startsWith("{") && p.endsWith("}")) {
      p = p.substring(1, p.length() - 1);
    }
    if (p.startsWith("$")) {
      p = p.substring(1);
    }
    int i = 0;
    while (i < p.length() && !current.isEmpty()) {
      char ch = p.charAt(i);
      List<JsonNode> next = new ArrayList<>();
      if (ch == '.') {
        int end = i + 1;
        while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
          end++;
        }
        String field = p.substring(i + 1, end);
        for (JsonNode n : current) {
          JsonNode v = n.get(field);
          if (v != null) {
            next.add(v);
          }
        }
        i = end;
      } else if (ch == '[') {
        int end = p.indexOf(']', i);
        if (end < 0) {
          return null;
        }
        String inside = p.substring(i + 1, end);
        Matcher filter = FILTER.matcher(inside);
        for (JsonNode n : current) {
          if (!n.isArray()) {
            continue;
          }
          if (inside.equals("*")) {
            n.forEach(next::add);
          } else if (filter.matches()) {
            for (JsonNode e : n) {
              JsonNode v = first(e, "." + filter.group(1));
              if (v != null && v.asText().equals(filter.group(2))) {
                next.add(e);
              }
            }
          } else {
            try {
              int index = Integer.parseInt(inside.trim());
              JsonNode v = n.get(index < 0 ? n.size() + index : index);
              if (v != null) {
                next.add(v);
              }
            } catch (NumberFormatException e) {
              return null;
            }
          }
        }
        i = end + 1;
      } else {
        return null;
      }
      current = next;
    }
    return current.isEmpty() ? null : current.get(0);
  }
}
