package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.Replicas;
import io.corebus.crds.RuntimeContract;
import io.corebus.helm.RestrictedPodSecurity.Violation;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginPods;
import io.corebus.operator.security.PluginCredentials;
import io.corebus.operator.security.PluginPrincipals;
import io.corebus.operator.security.PluginSecurity;
import io.corebus.operator.validation.PluginValidator;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Every pod of a Corebus install meets Pod Security "restricted": the operator's (from the chart)
 * and the plug-in pods the operator creates (from its model, {@link PluginPods}).
 */
class PodSecurityTest {
  private static final String SHA =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:0.1.0", "kafka:9092");

  @Test
  void theOperatorPodIsRestrictedWithDefaultValues() {
    Deployment operator = RenderedChart.render(Map.of()).one(Deployment.class);

    assertThat(RestrictedPodSecurity.check(operator.getSpec().getTemplate().getSpec())).isEmpty();
  }

  @Test
  void theOperatorPodIsRestrictedWithSecretsMountedAndTwoReplicas() {
    Deployment operator =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of())
            .one(Deployment.class);

    PodSpec pod = operator.getSpec().getTemplate().getSpec();
    assertThat(RestrictedPodSecurity.check(pod)).isEmpty();
    assertThat(pod.getVolumes()).extracting(RestrictedPodSecurity::volumeType).contains("secret");
  }

  @Test
  void aJarPluginsPodIsRestricted() {
    Pod pod = PluginPods.desired(jarPlugin("greeter"), "abc123", 0, SETTINGS);

    assertThat(RestrictedPodSecurity.check(pod.getSpec())).isEmpty();
  }

  @Test
  void anImagePluginsPodIsRestricted() {
    Plugin plugin = jarPlugin("inventory");
    plugin.getSpec().setArtifact(Artifact.ofImage("registry.example.com/inventory:2.0"));

    Pod pod = PluginPods.desired(plugin, "abc123", 1, SETTINGS);

    assertThat(RestrictedPodSecurity.check(pod.getSpec())).isEmpty();
  }

  @Test
  void aPluginsPodOnTheSecuredBusWithItsCredentialsMountIsRestricted() {
    Plugin plugin = jarPlugin("greeter");
    // The reconciler's path with kafka.security.managePrincipals on: PluginPods, then the mount.
    PluginSecurity security =
        new PluginSecurity(
            new PluginPrincipals() {
              @Override
              public void ensure(
                  Plugin p, PluginCredentials.Values credentials, List<Plugin> namespacePlugins) {}

              @Override
              public void release(Plugin p, boolean lastInNamespace) {}
            },
            "SASL_SSL",
            Optional.empty());

    Pod pod = security.mount(PluginPods.desired(plugin, "abc123", 0, SETTINGS), plugin);

    // The mount is really there (a Secret volume, read-only in the runtime container) ...
    assertThat(pod.getSpec().getVolumes())
        .filteredOn(v -> PluginCredentials.VOLUME.equals(v.getName()))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(RestrictedPodSecurity.volumeType(v)).isEqualTo("secret");
              assertThat(v.getSecret().getSecretName()).isEqualTo("greeter-kafka");
            });
    assertThat(pod.getSpec().getContainers())
        .filteredOn(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
        .singleElement()
        .satisfies(
            c ->
                assertThat(c.getVolumeMounts())
                    .anySatisfy(
                        m -> {
                          assertThat(m.getName()).isEqualTo(PluginCredentials.VOLUME);
                          assertThat(m.getReadOnly()).isTrue();
                        }));
    // ... and the pod still meets restricted.
    assertThat(RestrictedPodSecurity.check(pod.getSpec())).isEmpty();
  }

  @Test
  void sidecarsAndInitContainersOfAValidPodTemplateAreHeldToRestrictedToo() {
    Plugin plugin = jarPlugin("payment");
    plugin
        .getSpec()
        .setPodTemplate(
            new PodTemplateSpecBuilder()
                .withSpec(
                    new PodSpecBuilder()
                        .withInitContainers(
                            new ContainerBuilder().withName("wait").withImage("busybox").build())
                        .withContainers(
                            new ContainerBuilder()
                                .withName("proxy")
                                .withImage("envoy")
                                // No security context at all: PluginPods supplies it.
                                .build())
                        .build())
                .build());
    var validation = PluginValidator.validate(plugin, List.of(plugin), SETTINGS);
    assertThat(validation.valid())
        .as("the operator accepts this podTemplate (%s)", validation.message())
        .isTrue();

    Pod pod = PluginPods.desired(plugin, "abc123", 0, SETTINGS);

    assertThat(pod.getSpec().getContainers()).extracting("name").contains("proxy");
    assertThat(RestrictedPodSecurity.check(pod.getSpec())).isEmpty();
  }

  @Test
  void aPodTemplateThatWouldBreakRestrictedIsRejectedBeforeAnyPodIsMade() {
    Plugin plugin = jarPlugin("logger");
    plugin
        .getSpec()
        .setPodTemplate(
            new PodTemplateSpecBuilder()
                .withSpec(
                    new PodSpecBuilder()
                        .addNewVolume()
                        .withName("host-logs")
                        .withNewHostPath()
                        .withPath("/var/log")
                        .endHostPath()
                        .endVolume()
                        .build())
                .build());

    // PluginPods would carry the hostPath volume over, and the checker names the rule; the
    // operator's validator refuses the Plugin, so no such pod is ever created.
    Pod pod = PluginPods.desired(plugin, "abc123", 0, SETTINGS);
    assertThat(RestrictedPodSecurity.check(pod.getSpec()))
        .extracting(Violation::control)
        .containsExactly("HostPath Volumes");
    assertThat(PluginValidator.validate(plugin, List.of(plugin), SETTINGS).valid()).isFalse();
  }

  @Test
  void theCheckerNamesEachBrokenControl() {
    PodSpec bad =
        new PodSpecBuilder()
            .withHostNetwork(true)
            .addNewContainer()
            .withName("app")
            .withNewSecurityContext()
            .withPrivileged(true)
            .withRunAsUser(0L)
            .endSecurityContext()
            .addNewPort()
            .withContainerPort(80)
            .withHostPort(80)
            .endPort()
            .endContainer()
            .build();

    assertThat(RestrictedPodSecurity.check(bad))
        .extracting(Violation::control)
        .containsExactlyInAnyOrder(
            "Host Namespaces",
            "Privileged Containers",
            "Host Ports",
            "Privilege Escalation",
            "Running as Non-root",
            "Running as Non-root user",
            "Seccomp",
            "Capabilities");
  }

  @Test
  void pluginPodsCarryTheLabelsTheChartsNetworkPolicySelects() {
    NetworkPolicy policy =
        RenderedChart.render(Map.of()).all(NetworkPolicy.class).stream()
            .filter(p -> p.getMetadata().getName().endsWith("-plugins"))
            .findFirst()
            .orElseThrow();
    LabelSelector selector = policy.getSpec().getPodSelector();

    Pod pod = PluginPods.desired(jarPlugin("greeter"), "abc123", 0, SETTINGS);

    assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(selector.getMatchLabels());
  }

  private static Plugin jarPlugin(String name) {
    PluginSpec spec = new PluginSpec();
    spec.setVersion("1.0.0");
    spec.setArtifact(Artifact.ofJar("https://repo.example.com/" + name + ".jar", SHA));
    spec.setProvides(
        new java.util.ArrayList<>(List.of(new ProvidedService("shop." + name + ".Api"))));
    spec.setReplicas(new Replicas(1, null));
    Plugin p = new Plugin();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("shop")
            .withUid("uid-" + name)
            .withGeneration(1L)
            .withCreationTimestamp("2026-01-01T00:00:00Z")
            .build());
    p.setSpec(spec);
    return p;
  }
}
