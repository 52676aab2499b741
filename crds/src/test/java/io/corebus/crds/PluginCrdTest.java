package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What kubectl users see of the committed CRD: names, columns, and the scale subresource. */
class PluginCrdTest {
  private static final JsonNode CRD = CommittedCrd.read();
  private static final JsonNode VERSION = CRD.at("/spec/versions/0");

  @Test
  void committedFileIsACustomResourceDefinitionForThePluginClass() throws Exception {
    CustomResourceDefinition crd =
        new KubernetesSerialization()
            .unmarshal(Files.readString(CommittedCrd.path()), CustomResourceDefinition.class);

    assertThat(crd.getMetadata().getName())
        .isEqualTo(HasMetadata.getFullResourceName(Plugin.class));
    assertThat(crd.getSpec().getGroup()).isEqualTo(HasMetadata.getGroup(Plugin.class));
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo(HasMetadata.getKind(Plugin.class));
    assertThat(crd.getSpec().getVersions())
        .singleElement()
        .satisfies(v -> assertThat(v.getName()).isEqualTo(HasMetadata.getVersion(Plugin.class)));
  }

  @Test
  void pluginIsANamespacedResourceWithShortNames() {
    assertThat(CRD.at("/metadata/name").asText()).isEqualTo(Plugin.CRD_NAME);
    assertThat(CRD.at("/spec/scope").asText()).isEqualTo("Namespaced");
    List<String> shortNames = new ArrayList<>();
    CRD.at("/spec/names/shortNames").forEach(n -> shortNames.add(n.asText()));
    assertThat(shortNames).containsExactly("plg", "cbp");
    assertThat(VERSION.path("name").asText()).isEqualTo(Plugin.VERSION);
  }

  @Test
  void kubectlGetShowsReadyVersionReplicasQpsAgeThenWideColumns() {
    List<String> columns = new ArrayList<>();
    VERSION
        .path("additionalPrinterColumns")
        .forEach(c -> columns.add(c.path("name").asText() + "/" + c.path("priority").asInt()));

    assertThat(columns)
        .containsExactly(
            "Ready/0", "Version/0", "Replicas/0", "QPS/0", "Age/0", "Ready-Replicas/1", "Reason/1");
  }

  @Test
  void kubectlScaleSetsTheDesiredReplicasAndHpaFindsThePods() {
    JsonNode scale = VERSION.at("/subresources/scale");

    assertThat(scale.path("specReplicasPath").asText()).isEqualTo(".spec.replicas.desired");
    assertThat(scale.path("statusReplicasPath").asText()).isEqualTo(".status.replicas");
    assertThat(scale.path("labelSelectorPath").asText()).isEqualTo(".status.selector");
    assertThat(VERSION.at("/subresources").has("status")).isTrue();
  }
}
