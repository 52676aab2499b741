package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The committed CRD (what the Helm chart installs) is exactly what the Java model generates, with
 * the printer columns in declaration order. With -Dcorebus.crd.update=true it rewrites the file
 * instead; see crds/README.md.
 */
class CrdDriftTest {

  @Test
  void committedCrdIsTheOneTheModelGenerates() throws IOException {
    String expected = CommittedCrd.render(CommittedCrd.generatedYaml());
    Path committed = CommittedCrd.path();
    if (CommittedCrd.updating()) {
      Files.createDirectories(committed.getParent());
      Files.writeString(committed, expected);
      System.out.println("Rewrote " + committed);
      return;
    }
    if (!Files.exists(committed)) {
      fail(
          "%s is missing. Create it with: %s",
          CommittedCrd.RELATIVE_PATH, CommittedCrd.REFRESH_COMMAND);
    }
    String actual = Files.readString(committed);
    if (!actual.equals(expected)) {
      fail(
          "%s differs from the CRD generated from the Java model in crds/ (%s)."
              + " If the model change is intended, refresh the committed copy with: %s"
              + " and commit it; never edit the file by hand.",
          CommittedCrd.RELATIVE_PATH,
          firstDifference(expected, actual),
          CommittedCrd.REFRESH_COMMAND);
    }
  }

  @Test
  void renderingKeepsTheGeneratedCrdAndOnlyReordersTheColumns() throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode generated = (ObjectNode) yaml.readTree(CommittedCrd.generatedYaml());
    ObjectNode rendered =
        (ObjectNode) yaml.readTree(CommittedCrd.render(CommittedCrd.generatedYaml()));

    ObjectNode generatedVersion = (ObjectNode) generated.path("spec").path("versions").get(0);
    ObjectNode renderedVersion = (ObjectNode) rendered.path("spec").path("versions").get(0);
    List<String> generatedColumns =
        generatedVersion.path("additionalPrinterColumns").findValuesAsText("name");
    List<String> renderedColumns =
        renderedVersion.path("additionalPrinterColumns").findValuesAsText("name");
    assertThat(renderedColumns)
        .containsExactlyInAnyOrderElementsOf(generatedColumns)
        .isEqualTo(CommittedCrd.declaredColumns());

    generatedVersion.remove("additionalPrinterColumns");
    renderedVersion.remove("additionalPrinterColumns");
    assertThat(rendered).isEqualTo(generated);
  }

  private static String firstDifference(String expected, String actual) {
    List<String> e = expected.lines().toList();
    List<String> a = actual.lines().toList();
    for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
      String el = i < e.size() ? e.get(i) : "<end of file>";
      String al = i < a.size() ? a.get(i) : "<end of file>";
      if (!el.equals(al)) {
        return "first difference at line %d: expected <%s> but the file has <%s>"
            .formatted(i + 1, el.strip(), al.strip());
      }
    }
    return "they differ only in line endings";
  }
}
