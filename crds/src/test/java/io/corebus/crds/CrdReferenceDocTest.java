package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.corebus.crds.validation.CrdSchemaValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/crd-reference.md agrees with the committed CRD: its field tables and printer columns are
 * generated from it (rewritten with -Dcorebus.crd.update=true), and its example Plugins are valid.
 */
class CrdReferenceDocTest {
  private static final Path DOC = CommittedCrd.repositoryRoot().resolve(CrdReference.RELATIVE_PATH);
  private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

  @Test
  void generatedSectionsMatchTheCommittedCrd() throws IOException {
    String doc = Files.readString(DOC);
    // From the CRD the model generates (which CrdDriftTest keeps equal to the committed one), so
    // that the update run does not depend on which test rewrites its file first.
    JsonNode crd = CommittedCrd.expected();
    String expected =
        CrdReference.replaceSection(
            CrdReference.replaceSection(
                doc,
                "fields",
                CrdReference.fieldTables(crd.at("/spec/versions/0/schema/openAPIV3Schema"))),
            "columns",
            CrdReference.printerColumns(crd));
    if (CommittedCrd.updating()) {
      Files.writeString(DOC, expected);
      System.out.println("Rewrote the generated sections of " + DOC);
      return;
    }
    if (!doc.equals(expected)) {
      fail(
          "The generated sections of %s differ from the committed CRD. Refresh them with: %s",
          CrdReference.RELATIVE_PATH, CommittedCrd.REFRESH_COMMAND);
    }
  }

  @Test
  void everyExamplePluginInTheReferenceIsValid() throws IOException {
    List<String> examples = new ArrayList<>();
    Matcher m = YAML_BLOCK.matcher(Files.readString(DOC));
    while (m.find()) {
      if (m.group(1).startsWith("apiVersion: corebus.io/v1alpha1")) {
        examples.add(m.group(1));
      }
    }

    assertThat(examples).hasSizeGreaterThanOrEqualTo(2);
    CrdSchemaValidator validator = CrdSchemaValidator.forPluginCrd();
    assertThat(examples).allSatisfy(e -> assertThat(validator.validateYaml(e)).isEmpty());
  }
}
