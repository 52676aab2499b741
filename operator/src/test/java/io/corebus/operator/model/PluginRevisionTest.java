package io.corebus.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class PluginRevisionTest {
  private static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:1", "kafka:9092");

  private static String revisionAfter(Consumer<Plugin> change) {
    Plugin p = TestPlugins.jarPlugin("ns", "payment");
    change.accept(p);
    return PluginRevision.of(p.getSpec(), SETTINGS);
  }

  private static final String BASE = revisionAfter(p -> {});

  @Test
  void isTenHexCharactersAndStableAcrossCopies() {
    assertThat(BASE).matches("[0-9a-f]{10}");
    assertThat(revisionAfter(p -> {})).isEqualTo(BASE);
    // Same content, keys inserted in a different order: same revision.
    String a = revisionAfter(p -> p.getSpec().setEnv(List.of(new EnvVar("A", "1", null))));
    String b = revisionAfter(p -> p.getSpec().setEnv(List.of(new EnvVar("A", "1", null))));
    assertThat(a).isEqualTo(b);
  }

  @Test
  void configReplicasAndRolloutDoNotChangeIt() {
    assertThat(revisionAfter(p -> p.getSpec().setConfig(Map.of("greeting", "hi")))).isEqualTo(BASE);
    assertThat(revisionAfter(p -> TestPlugins.withReplicas(p, 3, 5, 4))).isEqualTo(BASE);
    assertThat(revisionAfter(p -> p.getSpec().setRollout(new io.corebus.crds.Rollout())))
        .isEqualTo(BASE);
  }

  private static void hotSwap(Plugin p) {
    io.corebus.crds.Rollout rollout = new io.corebus.crds.Rollout();
    rollout.setStrategy(io.corebus.crds.RolloutStrategy.HotSwap);
    p.getSpec().setRollout(rollout);
  }

  @Test
  void aHotSwapPluginKeepsItsRevisionAcrossVersionsButNotAcrossOtherChanges() {
    String hot = revisionAfter(PluginRevisionTest::hotSwap);
    assertThat(hot).as("switching to HotSwap rolls once").isNotEqualTo(BASE);
    assertThat(
            revisionAfter(
                p -> {
                  hotSwap(p);
                  p.getSpec().setVersion("2.0.0");
                  p.getSpec().setArtifact(Artifact.ofJar("https://x/p-2.jar", "b".repeat(64)));
                }))
        .isEqualTo(hot);
    assertThat(
            revisionAfter(
                p -> {
                  hotSwap(p);
                  p.getSpec().setEnv(List.of(new EnvVar("A", "1", null)));
                }))
        .isNotEqualTo(hot);
    // An image cannot be swapped in place: its version still rolls.
    assertThat(
            revisionAfter(
                p -> {
                  hotSwap(p);
                  p.getSpec().setArtifact(Artifact.ofImage("shop/payment:1"));
                }))
        .isNotEqualTo(
            revisionAfter(
                p -> {
                  hotSwap(p);
                  p.getSpec().setArtifact(Artifact.ofImage("shop/payment:2"));
                }));
  }

  @Test
  void everyPodTemplateInputChangesIt() {
    List<Consumer<Plugin>> changes =
        List.of(
            p -> p.getSpec().setVersion("1.0.1"),
            p -> p.getSpec().setArtifact(Artifact.ofImage("registry/payment:1")),
            p -> p.getSpec().getProvides().add(new ProvidedService("shop.Other")),
            p -> p.getSpec().setSubscribes(List.of("shop.order.Placed")),
            p -> p.getSpec().setPublishes(List.of("shop.payment.Done")),
            p -> p.getSpec().setRequires(List.of("shop.stock.Api")),
            p -> p.getSpec().setResources(OperatorSettings.resources("1", "1Gi", null, "1Gi")),
            p -> p.getSpec().setEnv(List.of(new EnvVar("LOG", "debug", null))),
            p ->
                p.getSpec()
                    .setPodTemplate(
                        new PodTemplateSpecBuilder()
                            .withNewSpec()
                            .addToNodeSelector("disk", "ssd")
                            .endSpec()
                            .build()));
    for (Consumer<Plugin> change : changes) {
      assertThat(revisionAfter(change)).isNotEqualTo(BASE);
    }
  }

  @Test
  void operatorSettingsChangeIt() {
    Plugin p = TestPlugins.jarPlugin("ns", "payment");
    assertThat(
            PluginRevision.of(p.getSpec(), SETTINGS.withRuntimeImage("corebus/plugin-runtime:2")))
        .isNotEqualTo(BASE);
    assertThat(PluginRevision.of(p.getSpec(), SETTINGS.withKafkaBootstrap("other:9092")))
        .isNotEqualTo(BASE);
    assertThat(PluginRevision.of(p.getSpec(), SETTINGS.withTerminationGracePeriodSeconds(60)))
        .isNotEqualTo(BASE);
  }

  @Test
  void theBusSecurityChangesItAndAnUnsecuredBusKeepsTheRevisionItHadBeforeSecurityExisted() {
    Plugin p = TestPlugins.jarPlugin("ns", "payment");
    assertThat(PluginRevision.of(p.getSpec(), SETTINGS, null)).isEqualTo(BASE);
    String plain = PluginRevision.of(p.getSpec(), SETTINGS, "SASL_PLAINTEXT");
    String tls = PluginRevision.of(p.getSpec(), SETTINGS, "SASL_SSL ca sha256:aa");
    String otherCa = PluginRevision.of(p.getSpec(), SETTINGS, "SASL_SSL ca sha256:bb");
    assertThat(List.of(BASE, plain, tls, otherCa)).doesNotHaveDuplicates();
  }

  @Test
  void imageArtifactsIgnoreTheStockRuntimeImage() {
    Plugin p = TestPlugins.jarPlugin("ns", "payment");
    p.getSpec().setArtifact(Artifact.ofImage("registry/payment:1"));
    assertThat(PluginRevision.of(p.getSpec(), SETTINGS))
        .isEqualTo(PluginRevision.of(p.getSpec(), SETTINGS.withRuntimeImage("other:2")));
  }
}
