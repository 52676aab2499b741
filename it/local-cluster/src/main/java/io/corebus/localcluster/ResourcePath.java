package io.corebus.localcluster;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Kubernetes REST path taken apart: {@code /api/v1/namespaces/shop/pods/web-0/log?tailLines=5} is
 * group "", version v1, namespace shop, plural pods, name web-0, subresource log.
 */
record ResourcePath(
    String group,
    String version,
    String namespace,
    String plural,
    String name,
    String subresource,
    Map<String, String> query) {

  /** The path up to the object (no subresource, no query). */
  String objectPath() {
    StringBuilder b = new StringBuilder(group.isEmpty() ? "/api/" : "/apis/" + group + "/");
    b.append(version);
    if (namespace != null) {
      b.append("/namespaces/").append(namespace);
    }
    b.append('/').append(plural);
    if (name != null) {
      b.append('/').append(name);
    }
    return b.toString();
  }

  static String objectPath(
      String group, String version, String namespace, String plural, String name) {
    return new ResourcePath(group, version, namespace, plural, name, null, Map.of()).objectPath();
  }

  /** The path's segments without the query, e.g. ["apis", "corebus.io", "v1alpha1"]. */
  static List<String> segments(String rawPath) {
    String p = rawPath;
    int q = p.indexOf('?');
    if (q >= 0) {
      p = p.substring(0, q);
    }
    return Arrays.stream(p.split("/")).filter(s -> !s.isEmpty()).toList();
  }

  static Map<String, String> query(String rawPath) {
    Map<String, String> out = new LinkedHashMap<>();
    int q = rawPath.indexOf('?');
    if (q < 0) {
      return out;
    }
    for (String pair : rawPath.substring(q + 1).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Parses a resource path; empty for discovery and other non-resource paths. */
  static Optional<ResourcePath> parse(String rawPath) {
    List<String> s = segments(rawPath);
    String group;
    String version;
    int i;
    if (s.size() >= 3 && s.get(0).equals("api")) {
      group = "";
      version = s.get(1);
      i = 2;
    } else if (s.size() >= 4 && s.get(0).equals("apis")) {
      group = s.get(1);
      version = s.get(2);
      i = 3;
    } else {
      return Optional.empty();
    }
    List<String> rest = s.subList(i, s.size());
    String namespace = null;
    // namespaces/<ns>/<plural>... is a namespaced resource; namespaces[/<name>[/status]] is the
    // Namespace itself.
    if (rest.size() >= 3 && rest.get(0).equals("namespaces") && !isNamespaceSubresource(rest)) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    if (rest.isEmpty() || rest.size() > 3) {
      return Optional.empty();
    }
    return Optional.of(
        new ResourcePath(
            group,
            version,
            namespace,
            rest.get(0),
            rest.size() > 1 ? rest.get(1) : null,
            rest.size() > 2 ? rest.get(2) : null,
            query(rawPath)));
  }

  private static boolean isNamespaceSubresource(List<String> rest) {
    return rest.size() == 3
        && (rest.get(2).equals("status") || rest.get(2).equals("finalize"))
        && !rest.get(1).isEmpty();
  }
}
