package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet builds it: {@code envFrom} first, then {@code env} in
 * order with {@code $(VAR)} references expanded, {@code fieldRef} (downward API), {@code
 * resourceFieldRef}, {@code configMapKeyRef} and {@code secretKeyRef} resolved.
 *
 * <p>Then the local twists: a value that is a volume's mount path, or a path below one, is
 * rewritten to the directory the volume was materialised in (there is no mount namespace), and
 * {@code QUARKUS_HTTP_HOST}, {@code QUARKUS_GRPC_SERVER_HOST}, {@code QUARKUS_MANAGEMENT_HOST} and
 * {@code COREBUS_GRPC_HOST} (the runtime's direct gRPC server) are set to the pod's IP so that
 * every pod can listen on the same ports.
 */
final class PodEnvironment {

  /** Variables pointing the Quarkus runtime at the pod's own address. */
  static final String[] HOST_VARIABLES = {
    "QUARKUS_HTTP_HOST", "QUARKUS_GRPC_SERVER_HOST", "QUARKUS_MANAGEMENT_HOST", "COREBUS_GRPC_HOST"
  };

  private static final Pattern REFERENCE =
      Pattern.compile("\\$\\$|\\$\\(([-._a-zA-Z][-._a-zA-Z0-9]*)\\)");
  private static final Pattern SUBSCRIPT =
      Pattern.compile("metadata\\.(labels|annotations)\\['([^']+)'\\]");

  /** A missing ConfigMap, Secret or key: the container cannot start yet. */
  static final class ConfigError extends Exception {
    ConfigError(String message) {
      super(message, null, false, false);
    }
  }

  private final Pod pod;
  private final String podIp;
  private final String hostIp;
  private final BiFunction<String, String, Optional<ConfigMap>> configMaps;
  private final BiFunction<String, String, Optional<Secret>> secrets;

  PodEnvironment(
      Pod pod,
      String podIp,
      String hostIp,
      BiFunction<String, String, Optional<ConfigMap>> configMaps,
      BiFunction<String, String, Optional<Secret>> secrets) {
    this.pod = pod;
    this.podIp = podIp;
    this.hostIp = hostIp;
    this.configMaps = configMaps;
    this.secrets = secrets;
  }

  /** The environment of {@code container}; {@code mounts} maps mount paths to local directories. */
  Map<String, String> resolve(Container container, Map<String, String> mounts) throws ConfigError {
    String ns = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    if (container.getEnvFrom() != null) {
      for (EnvFromSource from : container.getEnvFrom()) {
        String prefix = from.getPrefix() == null ? "" : from.getPrefix();
        if (from.getConfigMapRef() != null) {
          String name = from.getConfigMapRef().getName();
          Optional<ConfigMap> cm = configMaps.apply(ns, name);
          if (cm.isEmpty()) {
            if (!Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
              throw new ConfigError("configmap \"" + name + "\" not found");
            }
          } else if (cm.get().getData() != null) {
            cm.get().getData().forEach((k, v) -> env.put(prefix + k, v));
          }
        }
        if (from.getSecretRef() != null) {
          String name = from.getSecretRef().getName();
          Optional<Secret> secret = secrets.apply(ns, name);
          if (secret.isEmpty()) {
            if (!Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
              throw new ConfigError("secret \"" + name + "\" not found");
            }
          } else {
            secretData(secret.get()).forEach((k, v) -> env.put(prefix + k, v));
          }
        }
      }
    }
    if (container.getEnv() != null) {
      for (EnvVar var : container.getEnv()) {
        String value;
        if (var.getValueFrom() != null) {
          value = valueFrom(var.getName(), var.getValueFrom(), container);
          if (value == null) {
            continue; // optional reference to something missing: the variable is left out
          }
        } else {
          value = expand(var.getValue() == null ? "" : var.getValue(), env);
        }
        env.put(var.getName(), value);
      }
    }
    env.replaceAll((k, v) -> localPath(v, mounts));
    for (String host : HOST_VARIABLES) {
      env.put(host, podIp);
    }
    return env;
  }

  /** {@code $(NAME)} replaced by earlier variables; {@code $$} is a literal {@code $}. */
  static String expand(String value, Map<String, String> earlier) {
    Matcher m = REFERENCE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else {
        String ref = earlier.get(m.group(1));
        replacement = ref == null ? m.group() : ref;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A mount path (or a path below it) in a value, rewritten to the volume's local directory; the
   * longest matching mount path wins. {@code mounts} maps mount paths to local paths.
   */
  static String localPath(String value, Map<String, String> mounts) {
    String best = null;
    for (String mountPath : mounts.keySet()) {
      String mp = trimSlash(mountPath);
      if ((value.equals(mp) || value.startsWith(mp + "/"))
          && (best == null || mp.length() > trimSlash(best).length())) {
        best = mountPath;
      }
    }
    if (best == null) {
      return value;
    }
    return trimSlash(mounts.get(best)) + value.substring(trimSlash(best).length());
  }

  private static String trimSlash(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private String valueFrom(String name, EnvVarSource source, Container container)
      throws ConfigError {
    String ns = pod.getMetadata().getNamespace();
    if (source.getFieldRef() != null) {
      return field(source.getFieldRef().getFieldPath());
    }
    if (source.getResourceFieldRef() != null) {
      return resource(
          source.getResourceFieldRef().getResource(),
          source.getResourceFieldRef().getDivisor(),
          container.getResources());
    }
    if (source.getConfigMapKeyRef() != null) {
      var ref = source.getConfigMapKeyRef();
      boolean optional = Boolean.TRUE.equals(ref.getOptional());
      Optional<ConfigMap> cm = configMaps.apply(ns, ref.getName());
      if (cm.isEmpty()) {
        if (optional) {
          return null;
        }
        throw new ConfigError("configmap \"" + ref.getName() + "\" not found");
      }
      Map<String, String> data = cm.get().getData() == null ? Map.of() : cm.get().getData();
      if (!data.containsKey(ref.getKey())) {
        if (optional) {
          return null;
        }
        throw new ConfigError(
            "couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName());
      }
      return data.get(ref.getKey());
    }
    if (source.getSecretKeyRef() != null) {
      var ref = source.getSecretKeyRef();
      boolean optional = Boolean.TRUE.equals(ref.getOptional());
      Optional<Secret> secret = secrets.apply(ns, ref.getName());
      if (secret.isEmpty()) {
        if (optional) {
          return null;
        }
        throw new ConfigError("secret \"" + ref.getName() + "\" not found");
      }
      Map<String, String> data = secretData(secret.get());
      if (!data.containsKey(ref.getKey())) {
        if (optional) {
          return null;
        }
        throw new ConfigError(
            "couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
      }
      return data.get(ref.getKey());
    }
    throw new ConfigError("env " + name + ": unsupported valueFrom");
  }

  /** A downward-API field of the pod. */
  String field(String path) throws ConfigError {
    var meta = pod.getMetadata();
    switch (path) {
      case "metadata.name":
        return meta.getName();
      case "metadata.namespace":
        return meta.getNamespace();
      case "metadata.uid":
        return meta.getUid();
      case "spec.nodeName":
        return pod.getSpec().getNodeName();
      case "spec.serviceAccountName":
        return pod.getSpec().getServiceAccountName() == null
            ? "default"
            : pod.getSpec().getServiceAccountName();
      case "status.podIP":
      case "status.podIPs":
        return podIp;
      case "status.hostIP":
      case "status.hostIPs":
        return hostIp;
      case "metadata.labels":
        return keyValues(meta.getLabels());
      case "metadata.annotations":
        return keyValues(meta.getAnnotations());
      default:
        break;
    }
    Matcher m = SUBSCRIPT.matcher(path);
    if (m.matches()) {
      Map<String, String> map =
          m.group(1).equals("labels") ? meta.getLabels() : meta.getAnnotations();
      String v = map == null ? null : map.get(m.group(2));
      return v == null ? "" : v;
    }
    throw new ConfigError("unsupported fieldRef " + path);
  }

  private static String keyValues(Map<String, String> map) {
    if (map == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(map)
        .forEach(
            (k, v) -> b.append(k).append("=\"").append(v.replace("\"", "\\\"")).append("\"\n"));
    return b.toString();
  }

  private static String resource(String resource, Quantity divisor, ResourceRequirements r)
      throws ConfigError {
    Map<String, Quantity> limits = r == null || r.getLimits() == null ? Map.of() : r.getLimits();
    Map<String, Quantity> requests =
        r == null || r.getRequests() == null ? Map.of() : r.getRequests();
    String[] parts = resource.split("\\.", 2);
    if (parts.length != 2) {
      throw new ConfigError("unsupported resourceFieldRef " + resource);
    }
    Quantity q = (parts[0].equals("limits") ? limits : requests).get(parts[1]);
    BigDecimal value;
    if (q != null) {
      value = q.getNumericalAmount();
    } else if (parts[1].equals("cpu")) {
      value = BigDecimal.valueOf(Runtime.getRuntime().availableProcessors());
    } else if (parts[1].equals("memory")) {
      value = BigDecimal.valueOf(Runtime.getRuntime().maxMemory());
    } else {
      value = BigDecimal.ZERO;
    }
    BigDecimal by = divisor == null ? BigDecimal.ONE : divisor.getNumericalAmount();
    if (by.signum() == 0) {
      by = BigDecimal.ONE;
    }
    return value.divide(by, 0, RoundingMode.CEILING).toPlainString();
  }

  /** A Secret's values as text: {@code data} decoded from base64, {@code stringData} as is. */
  static Map<String, String> secretData(Secret secret) {
    Map<String, String> out = new LinkedHashMap<>();
    if (secret.getData() != null) {
      secret
          .getData()
          .forEach(
              (k, v) ->
                  out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    if (secret.getStringData() != null) {
      out.putAll(secret.getStringData());
    }
    return out;
  }
}
