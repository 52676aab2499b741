package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@code helm install} would send: the CRD from crds/, then every templated object, created
 * one by one on fabric8's mock API server (CRUD mode) and read back; then a Plugin is accepted in a
 * watched namespace.
 */
@EnableKubernetesMockClient(crud = true)
class MockApiServerApplyTest {
  static KubernetesClient client;

  @BeforeEach
  void installTheCrd() throws Exception {
    Path crd = RenderedChart.chartDir().resolve("crds").resolve("plugins.corebus.io-v1.yml");
    try (var in = Files.newInputStream(crd)) {
      CustomResourceDefinition loaded =
          client.apiextensions().v1().customResourceDefinitions().load(in).item();
      if (client.resource(loaded).get() == null) {
        client.resource(loaded).create();
      }
    }
  }

  @Test
  void theDefaultInstallAppliesCleanly() {
    RenderedChart chart = RenderedChart.render(Map.of());

    applyAndReadBack(chart);
    acceptsAPluginIn(RenderedChart.NAMESPACE);
  }

  @Test
  void theNonDefaultInstallAppliesCleanly() {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of());

    applyAndReadBack(chart);
    acceptsAPluginIn("shop");
  }

  @Test
  void theClusterWideInstallAppliesCleanly() {
    applyAndReadBack(RenderedChart.render(Map.of("watchAllNamespaces", true)));
  }

  @Test
  void theSecuredBusInstallAppliesCleanly() {
    RenderedChart chart =
        RenderedChart.render(
            RenderedChart.valuesFile("values-production.yaml"),
            Map.of("kafka.security.managePrincipals", true));

    applyAndReadBack(chart);
    acceptsAPluginIn("billing");
  }

  private static void applyAndReadBack(RenderedChart chart) {
    // helm install --create-namespace creates the release namespace; watched namespaces exist.
    Set<String> namespaces = new LinkedHashSet<>();
    chart
        .all()
        .forEach(
            o -> {
              if (o.getMetadata().getNamespace() != null) {
                namespaces.add(o.getMetadata().getNamespace());
              }
            });
    for (String ns : namespaces) {
      if (client.namespaces().withName(ns).get() == null) {
        client
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
    }
    assertThat(chart.all()).isNotEmpty();
    for (HasMetadata o : chart.all()) {
      HasMetadata created;
      HasMetadata read;
      if (o instanceof GenericKubernetesResource generic) {
        var resources =
            client
                .genericKubernetesResources(context(generic))
                .inNamespace(generic.getMetadata().getNamespace());
        resources.resource(generic).delete();
        created = resources.resource(generic).create();
        read = resources.withName(generic.getMetadata().getName()).get();
      } else {
        client.resource(o).delete();
        created = client.resource(o).create();
        read = client.resource(o).get();
      }
      assertThat(created).as("created %s %s", o.getKind(), o.getMetadata().getName()).isNotNull();
      assertThat(read).as("read back %s %s", o.getKind(), o.getMetadata().getName()).isNotNull();
      assertThat(read.getMetadata().getLabels())
          .as("%s %s", o.getKind(), o.getMetadata().getName())
          .containsEntry("app.kubernetes.io/part-of", "corebus");
    }
  }

  private static void acceptsAPluginIn(String namespace) {
    Plugin plugin = new Plugin();
    plugin.setMetadata(
        new ObjectMetaBuilder().withName("greeter").withNamespace(namespace).build());
    plugin.setSpec(new io.corebus.crds.PluginSpec());
    plugin.getSpec().setVersion("1.0.0");
    client.resource(plugin).create();

    assertThat(client.resources(Plugin.class).inNamespace(namespace).withName("greeter").get())
        .isNotNull();
  }

  private static ResourceDefinitionContext context(GenericKubernetesResource r) {
    String[] gv = r.getApiVersion().split("/");
    return new ResourceDefinitionContext.Builder()
        .withGroup(gv[0])
        .withVersion(gv[1])
        .withKind(r.getKind())
        .withPlural(r.getKind().toLowerCase(Locale.ROOT) + "s")
        .withNamespaced(true)
        .build();
  }
}
