package io.corebus.operator.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginValidatorTest {
  private static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:1", "kafka:9092");

  private static Plugin plugin(String name, String created, String... provides) {
    Plugin p = TestPlugins.stored(TestPlugins.jarPlugin("shop", name), name + "-uid", created);
    p.getSpec().setProvides(java.util.Arrays.stream(provides).map(ProvidedService::new).toList());
    return p;
  }

  @Test
  void aValidPluginHasNoProblems() {
    Plugin p = plugin("payment", "2024-01-01T00:00:00Z", "shop.Pay");
    Validation v = PluginValidator.validate(p, List.of(p), SETTINGS);
    assertThat(v.valid()).isTrue();
    assertThat(v.unresolvedRequires()).isEmpty();
  }

  @Test
  void theOlderPluginKeepsAServiceAndTheNewerIsToldWhoHasIt() {
    Plugin older = plugin("alpha", "2024-01-01T00:00:00Z", "shop.Pay");
    Plugin newer = plugin("beta", "2024-01-02T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(older, List.of(older, newer), SETTINGS).valid()).isTrue();
    Validation v = PluginValidator.validate(newer, List.of(older, newer), SETTINGS);
    assertThat(v.reason()).isEqualTo(Problem.DUPLICATE_SERVICE_PROVIDER);
    assertThat(v.message()).contains("shop.Pay").contains("'alpha'");
  }

  @Test
  void sameCreationTimeIsBrokenByName() {
    Plugin a = plugin("alpha", "2024-01-01T00:00:00Z", "shop.Pay");
    Plugin b = plugin("beta", "2024-01-01T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(a, List.of(a, b), SETTINGS).valid()).isTrue();
    assertThat(PluginValidator.validate(b, List.of(a, b), SETTINGS).reason())
        .isEqualTo(Problem.DUPLICATE_SERVICE_PROVIDER);
  }

  @Test
  void aPluginBeingDeletedGivesItsServicesUp() {
    Plugin older = plugin("alpha", "2024-01-01T00:00:00Z", "shop.Pay");
    older.getMetadata().setDeletionTimestamp("2024-02-01T00:00:00Z");
    Plugin newer = plugin("beta", "2024-01-02T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(newer, List.of(older, newer), SETTINGS).valid()).isTrue();
  }

  @Test
  void unresolvedRequiresAreReportedButNotFatal() {
    Plugin caller = plugin("caller", "2024-01-01T00:00:00Z", "shop.Call");
    caller.getSpec().setRequires(List.of("shop.Pay", "shop.Stock"));
    Plugin payment = plugin("payment", "2024-01-01T00:00:00Z", "shop.Pay");
    Validation v = PluginValidator.validate(caller, List.of(caller, payment), SETTINGS);
    assertThat(v.valid()).isTrue();
    assertThat(v.unresolvedRequires()).containsExactly("shop.Stock");
  }

  @Test
  void reservedEnvNamesAreRefused() {
    Plugin p = plugin("payment", "2024-01-01T00:00:00Z", "shop.Pay");
    p.getSpec().setEnv(List.of(new EnvVar("COREBUS_KAFKA_BOOTSTRAP", "evil:9092", null)));
    Validation v = PluginValidator.validate(p, List.of(p), SETTINGS);
    assertThat(v.reason()).isEqualTo(Problem.RESERVED_ENV_NAME);
    assertThat(v.message()).contains("COREBUS_KAFKA_BOOTSTRAP");
  }

  @Test
  void namesTooLongForPodNamesAreRefused() {
    Plugin p = plugin("a".repeat(41), "2024-01-01T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(p, List.of(p), SETTINGS).reason())
        .isEqualTo(Problem.INVALID_NAME);
    Plugin digit = plugin("1payment", "2024-01-01T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(digit, List.of(digit), SETTINGS).reason())
        .isEqualTo(Problem.INVALID_NAME);
    Plugin ok = plugin("a".repeat(40), "2024-01-01T00:00:00Z", "shop.Pay");
    assertThat(PluginValidator.validate(ok, List.of(ok), SETTINGS).valid()).isTrue();
  }

  @Test
  void missingKafkaBootstrapIsReported() {
    Plugin p = plugin("payment", "2024-01-01T00:00:00Z", "shop.Pay");
    Validation v = PluginValidator.validate(p, List.of(p), SETTINGS.withKafkaBootstrap(null));
    assertThat(v.reason()).isEqualTo(Problem.KAFKA_BOOTSTRAP_MISSING);
    assertThat(v.message()).contains("corebus.kafka.bootstrap-servers");
  }

  @Test
  void aServiceOrEventTypeTooLongForATopicNameIsRefused() {
    Plugin p = plugin("payment", "2024-01-01T00:00:00Z", "shop." + "x".repeat(240) + ".Pay");
    Validation v = PluginValidator.validate(p, List.of(p), SETTINGS);
    assertThat(v.reason()).isEqualTo(Problem.INVALID_SPEC);
    assertThat(v.message()).contains("249");

    // Event types may have 200 characters; in a long namespace that is too long for a topic.
    Plugin events = plugin("events", "2024-01-01T00:00:00Z", "shop.Ok");
    events.getMetadata().setNamespace("n".repeat(60));
    events.getSpec().setSubscribes(List.of("e".repeat(200)));
    assertThat(PluginValidator.validate(events, List.of(events), SETTINGS).message())
        .contains("would be")
        .contains("Kafka allows 249");
  }

  @Test
  void aServiceListedTwiceIsRefused() {
    Plugin p = plugin("payment", "2024-01-01T00:00:00Z", "shop.Pay", "shop.Pay");
    assertThat(PluginValidator.validate(p, List.of(p), SETTINGS).reason())
        .isEqualTo(Problem.INVALID_SPEC);
  }

  private static List<Problem> templateProblems(PodTemplateSpec t) {
    return PodTemplateRules.problems(t);
  }

  private static PodTemplateSpecBuilder runtimeOverlay(
      java.util.function.UnaryOperator<io.fabric8.kubernetes.api.model.ContainerBuilder> change) {
    return new PodTemplateSpecBuilder()
        .withNewSpec()
        .withContainers(
            change
                .apply(
                    new io.fabric8.kubernetes.api.model.ContainerBuilder()
                        .withName(RuntimeContract.CONTAINER_NAME))
                .build())
        .endSpec();
  }

  @Test
  void podTemplateMayNotReplaceTheRuntimeContainer() {
    assertThat(templateProblems(runtimeOverlay(c -> c.withImage("evil:1")).build()))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains(".image"));
    assertThat(templateProblems(runtimeOverlay(c -> c.withCommand("sh")).build())).hasSize(1);
    assertThat(templateProblems(runtimeOverlay(c -> c.withArgs("--x")).build())).hasSize(1);
    assertThat(
            templateProblems(
                runtimeOverlay(c -> c.addNewPort().withContainerPort(1).endPort()).build()))
        .hasSize(1);
    assertThat(
            templateProblems(
                runtimeOverlay(
                        c -> c.withNewReadinessProbe().withPeriodSeconds(1).endReadinessProbe())
                    .build()))
        .hasSize(1);
    assertThat(
            templateProblems(
                runtimeOverlay(
                        c ->
                            c.withNewSecurityContext()
                                .withReadOnlyRootFilesystem(false)
                                .endSecurityContext())
                    .build()))
        .hasSize(1);
    assertThat(
            templateProblems(
                runtimeOverlay(c -> c.addNewEnv().withName("COREBUS_X").endEnv()).build()))
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).isEqualTo(Problem.RESERVED_ENV_NAME));
    // Allowed: extra mounts and env.
    assertThat(
            templateProblems(
                runtimeOverlay(
                        c ->
                            c.addNewEnv()
                                .withName("X")
                                .endEnv()
                                .addNewVolumeMount()
                                .withName("v")
                                .withMountPath("/v")
                                .endVolumeMount())
                    .build()))
        .isEmpty();
  }

  @Test
  void podTemplateMayNotAddPrivilegedContainersOrHostAccess() {
    PodTemplateSpec privileged =
        new PodTemplateSpecBuilder()
            .withNewSpec()
            .addNewContainer()
            .withName("debug")
            .withImage("busybox")
            .withNewSecurityContext()
            .withPrivileged(true)
            .withNewCapabilities()
            .addToAdd("SYS_ADMIN")
            .endCapabilities()
            .endSecurityContext()
            .endContainer()
            .withHostNetwork(true)
            .addNewVolume()
            .withName("root")
            .withNewHostPath()
            .withPath("/")
            .endHostPath()
            .endVolume()
            .endSpec()
            .build();
    assertThat(templateProblems(privileged))
        .extracting(Problem::message)
        .anySatisfy(m -> assertThat(m).contains("privileged"))
        .anySatisfy(m -> assertThat(m).contains("SYS_ADMIN"))
        .anySatisfy(m -> assertThat(m).contains("hostNetwork"))
        .anySatisfy(m -> assertThat(m).contains("hostPath"));
  }

  @Test
  void podTemplateMayNotTakeOperatorLabels() {
    PodTemplateSpec t =
        new PodTemplateSpecBuilder()
            .withNewMetadata()
            .addToLabels("corebus.io/plugin", "other")
            .addToLabels("team", "a")
            .endMetadata()
            .build();
    assertThat(templateProblems(t))
        .singleElement()
        .satisfies(p -> assertThat(p.message()).contains("corebus.io/plugin"));
  }
}
