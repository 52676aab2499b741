package io.corebus.crds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The one committed copy of the Plugin CRD ({@value #RELATIVE_PATH}, shipped by the Helm chart) and
 * how it is made from the YAML the crd-generator-maven-plugin writes.
 *
 * <p>The generator sorts additionalPrinterColumns by jsonPath and has no option to keep them as
 * declared, so kubectl would show Age first. The committed copy is the generated CRD with the
 * columns put back in the order {@link Plugin} declares them; nothing else changes. CrdDriftTest
 * checks that the committed file is exactly that, so the model stays the single source.
 */
final class CommittedCrd {
  static final String FILE_NAME = "plugins.corebus.io-v1.yml";

  /** Relative to the repository root. */
  static final String RELATIVE_PATH = "helm-chart/corebus/crds/" + FILE_NAME;

  /** Where the crd-generator-maven-plugin puts its output (target/classes, on the classpath). */
  static final String GENERATED_RESOURCE = "META-INF/fabric8/" + FILE_NAME;

  /** Set to true (through Maven: -Dcorebus.crd.update=true) to rewrite the committed files. */
  static final String UPDATE_PROPERTY = "corebus.crd.update";

  static final String REFRESH_COMMAND = "./mvnw -B -pl crds test -Dcorebus.crd.update=true";

  /**
   * Fields whose schema is a Kubernetes type embedded whole (described by Kubernetes, not by us):
   * their own row is documented, their insides are not walked.
   */
  static final Map<String, String> EMBEDDED_KUBERNETES_TYPES =
      Map.of(
          "spec.podTemplate", "PodTemplateSpec",
          "spec.resources", "ResourceRequirements",
          "spec.env", "[]EnvVar");

  private static final YAMLMapper YAML =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              // One line per description keeps diffs of the committed file readable.
              .disable(YAMLGenerator.Feature.SPLIT_LINES)
              .build());

  private static final String HEADER =
      """
      # The Plugin CRD (corebus.io/v1alpha1): the one committed copy, installed by the Helm chart.
      # Generated from the Java model in crds/ (io.corebus.crds.Plugin); do not edit by hand.
      # After changing the model, refresh it with: %s
      """
          .formatted(REFRESH_COMMAND);

  private CommittedCrd() {}

  static boolean updating() {
    return Boolean.getBoolean(UPDATE_PROPERTY);
  }

  /** The nearest directory holding mvnw, from the module (Surefire's basedir) or the cwd (IDEs). */
  static Path repositoryRoot() {
    Path start = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new IllegalStateException("no mvnw above " + start + ": where is the repository root?");
  }

  static Path path() {
    return repositoryRoot().resolve(RELATIVE_PATH);
  }

  static String generatedYaml() {
    try (InputStream in =
        CommittedCrd.class.getClassLoader().getResourceAsStream(GENERATED_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            GENERATED_RESOURCE + " is missing: run the crds build through process-classes");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The committed file's expected content, made from the generator's output. */
  static String render(String generatedYaml) {
    try {
      ObjectNode crd = (ObjectNode) YAML.readTree(generatedYaml);
      for (JsonNode version : crd.path("spec").path("versions")) {
        JsonNode columns = version.get("additionalPrinterColumns");
        if (columns != null) {
          ((ObjectNode) version).set("additionalPrinterColumns", inDeclaredOrder(columns));
        }
      }
      return HEADER + YAML.writeValueAsString(crd);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The CRD as the committed file must read, parsed. Equal to {@link #read()} whenever CrdDriftTest
   * passes, and already up to date while it rewrites the file.
   */
  static JsonNode expected() {
    try {
      return YAML.readTree(render(generatedYaml()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The openAPIV3Schema of the committed CRD's only version. */
  static JsonNode schema() {
    return read().at("/spec/versions/0/schema/openAPIV3Schema");
  }

  static JsonNode read() {
    try {
      return YAML.readTree(Files.readString(path()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The printer column names in the order Plugin declares them. */
  static List<String> declaredColumns() {
    return Arrays.stream(Plugin.class.getAnnotationsByType(AdditionalPrinterColumn.class))
        .map(AdditionalPrinterColumn::name)
        .toList();
  }

  private static ArrayNode inDeclaredOrder(JsonNode generated) {
    List<String> order = declaredColumns();
    List<JsonNode> columns = new ArrayList<>();
    generated.forEach(columns::add);
    for (JsonNode c : columns) {
      if (!order.contains(c.path("name").asText())) {
        throw new IllegalStateException(
            "printer column " + c.path("name") + " is not declared on Plugin");
      }
    }
    columns.sort(
        (a, b) ->
            Integer.compare(
                order.indexOf(a.path("name").asText()), order.indexOf(b.path("name").asText())));
    return YAML.createArrayNode().addAll(columns);
  }
}
