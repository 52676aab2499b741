package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Applies a Kubernetes strategic merge patch (what {@code kubectl apply} and {@code kubectl edit}
 * send for built-in kinds) and expresses the result as a JSON merge patch, which the mock store
 * understands.
 *
 * <p>An approximation: Kubernetes takes each list's merge key and strategy from the Go types; this
 * class uses a table of the common ones ({@code containers}, {@code env}, {@code volumes} by name,
 * {@code volumeMounts} by mountPath, {@code ports} by containerPort or port, {@code conditions} by
 * type, {@code ownerReferences} by uid; {@code finalizers} as a set) and replaces any other list.
 * The {@code $patch}, {@code $setElementOrder}, {@code $deleteFromPrimitiveList} directives are
 * honoured, {@code $retainKeys} is ignored.
 */
final class StrategicMergePatch {
  private StrategicMergePatch() {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("env", "name"),
          Map.entry("volumes", "name"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("volumeDevices", "devicePath"),
          Map.entry("conditions", "type"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("hostAliases", "ip"),
          Map.entry("topologySpreadConstraints", "topologyKey"));

  /** {@code current} (an object, changed in place) with {@code patch} applied; null = delete. */
  static JsonNode apply(JsonNode current, JsonNode patch) {
    if (!patch.isObject()) {
      return patch;
    }
    String directive = patch.path("$patch").asText("");
    if (directive.equals("delete")) {
      return null;
    }
    if (directive.equals("replace")) {
      return strip(patch);
    }
    ObjectNode target =
        current != null && current.isObject() ? (ObjectNode) current : NODES.objectNode();
    List<Map.Entry<String, JsonNode>> orders = new ArrayList<>();
    List<Map.Entry<String, JsonNode>> removals = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String field = e.getKey();
      JsonNode value = e.getValue();
      if (field.startsWith("$setElementOrder/")) {
        orders.add(Map.entry(field.substring("$setElementOrder/".length()), value));
      } else if (field.startsWith("$deleteFromPrimitiveList/")) {
        removals.add(Map.entry(field.substring("$deleteFromPrimitiveList/".length()), value));
      } else if (field.startsWith("$")) {
        continue;
      } else if (value.isNull()) {
        target.remove(field);
      } else if (value.isObject()) {
        JsonNode merged = apply(target.get(field), value);
        if (merged == null) {
          target.remove(field);
        } else {
          target.set(field, merged);
        }
      } else if (value.isArray()) {
        target.set(field, mergeList(field, target.get(field), (ArrayNode) value));
      } else {
        target.set(field, value);
      }
    }
    for (Map.Entry<String, JsonNode> removal : removals) {
      JsonNode list = target.get(removal.getKey());
      if (list != null && list.isArray()) {
        ArrayNode kept = NODES.arrayNode();
        list.forEach(
            v -> {
              if (!contains(removal.getValue(), v)) {
                kept.add(v);
              }
            });
        target.set(removal.getKey(), kept);
      }
    }
    for (Map.Entry<String, JsonNode> order : orders) {
      JsonNode list = target.get(order.getKey());
      if (list != null && list.isArray()) {
        target.set(order.getKey(), reorder((ArrayNode) list, order.getValue(), order.getKey()));
      }
    }
    return target;
  }

  private static JsonNode mergeList(String field, JsonNode current, ArrayNode patch) {
    ArrayNode existing =
        current != null && current.isArray() ? (ArrayNode) current : NODES.arrayNode();
    for (JsonNode e : patch) {
      if (e.isObject() && "replace".equals(e.path("$patch").asText())) {
        ArrayNode replaced = NODES.arrayNode();
        patch.forEach(
            x -> {
              if (!(x.isObject() && x.has("$patch"))) {
                replaced.add(strip(x));
              }
            });
        return replaced;
      }
    }
    if (field.equals("finalizers")) {
      ArrayNode union = existing.deepCopy();
      patch.forEach(
          v -> {
            if (!contains(union, v)) {
              union.add(v);
            }
          });
      return union;
    }
    String key = mergeKey(field, patch);
    if (key == null) {
      return strip(patch);
    }
    ArrayNode result = existing.deepCopy();
    for (JsonNode e : patch) {
      if (!e.isObject()) {
        continue;
      }
      int index = indexOf(result, key, e.path(key));
      if ("delete".equals(e.path("$patch").asText())) {
        if (index >= 0) {
          result.remove(index);
        }
      } else if (index >= 0) {
        result.set(index, apply(result.get(index), e));
      } else {
        result.add(apply(NODES.objectNode(), e));
      }
    }
    return result;
  }

  private static String mergeKey(String field, ArrayNode patch) {
    if (field.equals("ports")) {
      for (JsonNode e : patch) {
        if (e.has("containerPort")) {
          return "containerPort";
        }
      }
      return "port";
    }
    String key = MERGE_KEYS.get(field);
    if (key != null) {
      return key;
    }
    return null;
  }

  private static int indexOf(ArrayNode list, String key, JsonNode value) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).path(key).equals(value)) {
        return i;
      }
    }
    return -1;
  }

  private static ArrayNode reorder(ArrayNode list, JsonNode order, String field) {
    ArrayNode result = NODES.arrayNode();
    List<JsonNode> rest = new ArrayList<>();
    list.forEach(rest::add);
    String key = null;
    for (JsonNode o : order) {
      if (o.isObject()) {
        key = o.fieldNames().hasNext() ? o.fieldNames().next() : null;
        if (key == null) {
          continue;
        }
        for (Iterator<JsonNode> it = rest.iterator(); it.hasNext(); ) {
          JsonNode e = it.next();
          if (e.path(key).equals(o.get(key))) {
            result.add(e);
            it.remove();
            break;
          }
        }
      } else {
        for (Iterator<JsonNode> it = rest.iterator(); it.hasNext(); ) {
          JsonNode e = it.next();
          if (e.equals(o)) {
            result.add(e);
            it.remove();
            break;
          }
        }
      }
    }
    rest.forEach(result::add);
    return result;
  }

  private static boolean contains(JsonNode list, JsonNode value) {
    for (JsonNode e : list) {
      if (e.equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** The patch without its directives. */
  private static JsonNode strip(JsonNode node) {
    if (node.isObject()) {
      ObjectNode out = NODES.objectNode();
      node.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().startsWith("$")) {
                  out.set(e.getKey(), strip(e.getValue()));
                }
              });
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = NODES.arrayNode();
      node.forEach(e -> out.add(strip(e)));
      return out;
    }
    return node;
  }
}
