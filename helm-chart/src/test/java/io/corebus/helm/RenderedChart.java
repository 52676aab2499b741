package io.corebus.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The chart as {@code helm template} renders it (real Helm, in-process through helm-java), parsed
 * into fabric8 objects: typed ones for the Kubernetes kinds, GenericKubernetesResource for the rest
 * (ServiceMonitor, PodMonitor).
 */
final class RenderedChart {
  static final String RELEASE = "corebus";
  static final String NAMESPACE = "corebus-system";

  /** helm template assumes Kubernetes 1.20 unless told; the chart needs 1.25+. */
  static final String KUBE_VERSION = "v1.31.0";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final String yaml;
  private final List<HasMetadata> objects;

  private RenderedChart(String yaml, List<HasMetadata> objects) {
    this.yaml = yaml;
    this.objects = objects;
  }

  /** The chart directory, from the module directory (Maven) or the repository root (an IDE). */
  static Path chartDir() {
    for (Path candidate : List.of(Path.of("corebus"), Path.of("helm-chart", "corebus"))) {
      if (Files.isRegularFile(candidate.resolve("Chart.yaml"))) {
        return candidate.toAbsolutePath();
      }
    }
    throw new IllegalStateException("no chart found from " + Path.of("").toAbsolutePath());
  }

  static Helm helm() {
    return new Helm(chartDir());
  }

  /** Renders with the chart's defaults plus the given --set values. */
  static RenderedChart render(Map<String, Object> set) {
    return render(null, set);
  }

  /**
   * Renders with a values file (may be null) plus --set values, in namespace {@value NAMESPACE}.
   */
  static RenderedChart render(Path valuesFile, Map<String, Object> set) {
    TemplateCommand template =
        helm().template().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION);
    if (valuesFile != null) {
      template = template.withValuesFile(valuesFile);
    }
    for (Map.Entry<String, Object> e : set.entrySet()) {
      template = template.set(e.getKey(), e.getValue());
    }
    String yaml = template.call();
    return new RenderedChart(yaml, parse(yaml));
  }

  static Path valuesFile(String name) {
    for (Path candidate :
        List.of(
            Path.of("src", "test", "resources", name),
            Path.of("helm-chart", "src", "test", "resources", name))) {
      if (Files.isRegularFile(candidate)) {
        return candidate.toAbsolutePath();
      }
    }
    throw new IllegalStateException("no values file " + name);
  }

  private static List<HasMetadata> parse(String yaml) {
    Object parsed =
        SERIALIZATION.unmarshal(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    List<HasMetadata> out = new ArrayList<>();
    if (parsed instanceof KubernetesResourceList<?> list) {
      for (KubernetesResource r : list.getItems()) {
        out.add((HasMetadata) r);
      }
    } else if (parsed instanceof List<?> list) {
      list.forEach(o -> out.add((HasMetadata) o));
    } else if (parsed instanceof HasMetadata one) {
      out.add(one);
    }
    return out;
  }

  String yaml() {
    return yaml;
  }

  List<HasMetadata> all() {
    return objects;
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  List<HasMetadata> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.getKind())).toList();
  }

  <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    if (found.size() != 1) {
      throw new AssertionError(
          "expected one " + type.getSimpleName() + ", found " + found.size() + ":\n" + yaml);
    }
    return found.get(0);
  }

  <T extends HasMetadata> Optional<T> named(Class<T> type, String namespace, String name) {
    return all(type).stream()
        .filter(o -> name.equals(o.getMetadata().getName()))
        .filter(o -> namespace == null || namespace.equals(o.getMetadata().getNamespace()))
        .findFirst();
  }
}
