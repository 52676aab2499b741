package io.corebus.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PluginPodsTest {
  private static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:1", "kafka:9092");

  private static Plugin payment() {
    Plugin p =
        TestPlugins.stored(
            TestPlugins.jarPlugin("shop", "payment"), "uid-1", "2024-01-01T00:00:00Z");
    p.getSpec()
        .setProvides(
            List.of(
                new ProvidedService("shop.payment.Pay"),
                new ProvidedService("shop.payment.Refund")));
    p.getSpec().setSubscribes(List.of("shop.order.Placed"));
    p.getSpec().setPublishes(List.of("shop.payment.Done"));
    p.getSpec().setRequires(List.of("shop.stock.Api"));
    p.getSpec().setEnv(List.of(new EnvVar("LOG_LEVEL", "debug", null)));
    p.getSpec().setConfig(Map.of("greeting", "hi"));
    return p;
  }

  private static Container runtime(Pod pod) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
        .findFirst()
        .orElseThrow();
  }

  private static Map<String, EnvVar> env(Container c) {
    return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
  }

  @Test
  void podIsNamedAndLabelledPerRevisionAndOrdinal() {
    Pod pod = PluginPods.desired(payment(), "abcdef0123", 2, SETTINGS);
    assertThat(pod.getMetadata().getName()).isEqualTo("payment-abcdef0123-2");
    assertThat(pod.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/name", "payment")
        .containsEntry("app.kubernetes.io/instance", "payment")
        .containsEntry("app.kubernetes.io/version", "1.0.0")
        .containsEntry("app.kubernetes.io/component", "plugin")
        .containsEntry("app.kubernetes.io/part-of", "corebus")
        .containsEntry("app.kubernetes.io/managed-by", "corebus-operator")
        .containsEntry("corebus.io/plugin", "payment")
        .containsEntry("corebus.io/revision", "abcdef0123")
        .containsEntry("corebus.io/ordinal", "2");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("Plugin");
              assertThat(o.getApiVersion()).isEqualTo("corebus.io/v1alpha1");
              assertThat(o.getUid()).isEqualTo("uid-1");
              assertThat(o.getController()).isTrue();
            });
  }

  @Test
  void runtimeContainerCarriesTheRuntimeContract() {
    Pod pod = PluginPods.desired(payment(), "abcdef0123", 0, SETTINGS);
    Container c = runtime(pod);
    assertThat(c.getImage()).isEqualTo("corebus/plugin-runtime:1");
    Map<String, EnvVar> env = env(c);
    assertThat(env.get(RuntimeContract.ENV_PLUGIN_NAME).getValue()).isEqualTo("payment");
    assertThat(env.get(RuntimeContract.ENV_NAMESPACE).getValue()).isEqualTo("shop");
    assertThat(env.get(RuntimeContract.ENV_PLUGIN_VERSION).getValue()).isEqualTo("1.0.0");
    assertThat(env.get(RuntimeContract.ENV_REVISION).getValue()).isEqualTo("abcdef0123");
    assertThat(env.get(RuntimeContract.ENV_POD_NAME).getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get(RuntimeContract.ENV_POD_IP).getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("status.podIP");
    assertThat(env.get(RuntimeContract.ENV_JAR_URL).getValue())
        .isEqualTo("https://repo.example.com/payment.jar");
    assertThat(env.get(RuntimeContract.ENV_JAR_SHA256).getValue()).isEqualTo(TestPlugins.SHA);
    assertThat(env.get(RuntimeContract.ENV_PROVIDES).getValue())
        .isEqualTo("shop.payment.Pay,shop.payment.Refund");
    assertThat(env.get(RuntimeContract.ENV_SUBSCRIBES).getValue()).isEqualTo("shop.order.Placed");
    assertThat(env.get(RuntimeContract.ENV_PUBLISHES).getValue()).isEqualTo("shop.payment.Done");
    assertThat(env.get(RuntimeContract.ENV_REQUIRES).getValue()).isEqualTo("shop.stock.Api");
    assertThat(env.get(RuntimeContract.ENV_KAFKA_BOOTSTRAP).getValue()).isEqualTo("kafka:9092");
    assertThat(env.get(RuntimeContract.ENV_CONFIG_DIR).getValue())
        .isEqualTo(RuntimeContract.CONFIG_MOUNT_PATH);
    // The runtime writes why it failed there; the operator reads it back from the pod's status.
    assertThat(env.get(RuntimeContract.ENV_TERMINATION_MESSAGE_PATH).getValue())
        .isEqualTo("/dev/termination-log");
    assertThat(env.get("LOG_LEVEL").getValue()).isEqualTo("debug");

    assertThat(c.getPorts())
        .extracting(p -> p.getName() + ":" + p.getContainerPort())
        .containsExactly("http:8080", "grpc:9090");
    assertThat(c.getReadinessProbe().getHttpGet().getPath())
        .isEqualTo(RuntimeContract.READINESS_PATH);
    assertThat(c.getLivenessProbe().getHttpGet().getPath())
        .isEqualTo(RuntimeContract.LIVENESS_PATH);
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo(RuntimeContract.STARTUP_PATH);
    assertThat(c.getResources().getRequests()).containsEntry("memory", new Quantity("256Mi"));
    assertThat(c.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(RuntimeContract.CONFIG_MOUNT_PATH))
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(pod.getSpec().getVolumes())
        .anySatisfy(v -> assertThat(v.getConfigMap().getName()).isEqualTo("payment-config"))
        .anySatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);
  }

  @Test
  void allowedCallersReachTheRuntimeInTheBusProtocolFormat() {
    Plugin p = payment();
    ProvidedService pay = new ProvidedService("shop.payment.Pay");
    pay.setAllowedCallers(List.of("orders", "checkout"));
    ProvidedService refund = new ProvidedService("shop.payment.Refund");
    p.getSpec().setProvides(List.of(pay, refund));
    Map<String, EnvVar> env = env(runtime(PluginPods.desired(p, "abcdef0123", 0, SETTINGS)));

    String value = env.get(RuntimeContract.ENV_ALLOWED_CALLERS).getValue();
    assertThat(value).isEqualTo("shop.payment.Pay=checkout,orders");
    // What the runtime does with it: only the listed callers reach Pay; anyone reaches Refund.
    AllowedCallers parsed = AllowedCallers.parse(value);
    assertThat(parsed.permits("shop.payment.Pay", "orders")).isTrue();
    assertThat(parsed.permits("shop.payment.Pay", "stranger")).isFalse();
    assertThat(parsed.permits("shop.payment.Refund", "stranger")).isTrue();
  }

  @Test
  void requestTopicsTellTheRuntimeWhichTopicEachProvidedServiceIsCalledOn() {
    Plugin p = payment();
    p.getSpec()
        .setProvides(
            List.of(
                new ProvidedService("shop.payment.Pay"),
                new ProvidedService("shop.payment.Refund")));
    Map<String, EnvVar> env = env(runtime(PluginPods.desired(p, "abcdef0123", 0, SETTINGS)));

    String value = env.get(RuntimeContract.ENV_REQUEST_TOPICS).getValue();
    assertThat(value)
        .isEqualTo(
            "shop.payment.Pay=corebus.shop.rpc.shop.payment.Pay;"
                + "shop.payment.Refund=corebus.shop.rpc.shop.payment.Refund");
    // What the runtime does with it: consume exactly the topic the services' routes name.
    io.corebus.bus.protocol.RequestTopics parsed =
        io.corebus.bus.protocol.RequestTopics.parse(value);
    assertThat(parsed.topicOf("shop.payment.Refund"))
        .contains(
            io.corebus.bus.protocol.BusTopics.forNamespace("shop").requests("shop.payment.Refund"));
  }

  @Test
  void noAllowedCallersMeansAnyoneAndAnEmptyVariable() {
    Map<String, EnvVar> env =
        env(runtime(PluginPods.desired(payment(), "abcdef0123", 0, SETTINGS)));
    assertThat(env.get(RuntimeContract.ENV_ALLOWED_CALLERS).getValue()).isEmpty();
  }

  @Test
  void everyEnvironmentVariableOfTheRuntimeContractIsSet() throws IllegalAccessException {
    Map<String, EnvVar> env =
        env(runtime(PluginPods.desired(payment(), "abcdef0123", 0, SETTINGS)));
    List<String> contract = new java.util.ArrayList<>();
    for (Field f : RuntimeContract.class.getFields()) {
      if (f.getName().startsWith("ENV_") && Modifier.isStatic(f.getModifiers())) {
        contract.add((String) f.get(null));
      }
    }
    assertThat(contract).hasSizeGreaterThan(10).contains(RuntimeContract.ENV_ALLOWED_CALLERS);
    // The secured bus's variables come with the credentials mount (PluginCredentials.mount).
    List<String> secured =
        List.of(
            RuntimeContract.ENV_KAFKA_SECURITY_PROTOCOL,
            RuntimeContract.ENV_KAFKA_SASL_MECHANISM,
            RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR,
            RuntimeContract.ENV_REQUIRE_SIGNED_CALLS);
    // A jar plug-in gets all of them (an image plug-in all but the two jar variables).
    assertThat(env)
        .containsKeys(contract.stream().filter(e -> !secured.contains(e)).toArray(String[]::new))
        .doesNotContainKeys(secured.toArray(String[]::new));
    Map<String, EnvVar> securedEnv =
        env(
            runtime(
                io.corebus.operator.security.PluginCredentials.mount(
                    PluginPods.desired(payment(), "abcdef0123", 0, SETTINGS),
                    payment(),
                    "SASL_PLAINTEXT")));
    assertThat(securedEnv).containsKeys(contract.toArray(String[]::new));
  }

  @Test
  void allowedCallersArePartOfTheRevision() {
    Plugin before = payment();
    Plugin after = payment();
    after.getSpec().getProvides().get(0).setAllowedCallers(List.of("orders"));
    assertThat(PluginRevision.of(after.getSpec(), SETTINGS))
        .isNotEqualTo(PluginRevision.of(before.getSpec(), SETTINGS));
  }

  @Test
  void imageArtifactRunsItsOwnImageWithoutJarVariables() {
    Plugin p = payment();
    p.getSpec().setArtifact(Artifact.ofImage("registry.example.com/payment:1"));
    Container c = runtime(PluginPods.desired(p, "abcdef0123", 0, SETTINGS));
    assertThat(c.getImage()).isEqualTo("registry.example.com/payment:1");
    assertThat(env(c))
        .doesNotContainKeys(RuntimeContract.ENV_JAR_URL, RuntimeContract.ENV_JAR_SHA256);
  }

  @Test
  void securityContextMeetsPodSecurityRestricted() {
    Pod pod = PluginPods.desired(payment(), "abcdef0123", 0, SETTINGS);
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    var sc = runtime(pod).getSecurityContext();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void podTemplateIsMergedWithoutUndoingTheRuntime() {
    Plugin p = payment();
    p.getSpec()
        .setPodTemplate(
            new PodTemplateSpecBuilder()
                .withNewMetadata()
                .addToLabels("team", "payments")
                .addToAnnotations("prometheus.io/scrape", "true")
                .endMetadata()
                .withNewSpec()
                .addToNodeSelector("disk", "ssd")
                .addToTolerations(
                    new TolerationBuilder().withKey("dedicated").withOperator("Exists").build())
                .withServiceAccountName("payment-sa")
                .withTerminationGracePeriodSeconds(90L)
                .addNewVolume()
                .withName("certs")
                .withNewSecret()
                .withSecretName("payment-certs")
                .endSecret()
                .endVolume()
                .addNewContainer()
                .withName(RuntimeContract.CONTAINER_NAME)
                .addNewVolumeMount()
                .withName("certs")
                .withMountPath("/etc/certs")
                .endVolumeMount()
                .addNewEnv()
                .withName("EXTRA")
                .withValue("1")
                .endEnv()
                .endContainer()
                .addNewContainer()
                .withName("log-shipper")
                .withImage("fluent-bit:3")
                .endContainer()
                .endSpec()
                .build());
    Pod pod = PluginPods.desired(p, "abcdef0123", 0, SETTINGS);
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("team", "payments")
        .containsEntry("corebus.io/plugin", "payment");
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true");
    assertThat(pod.getSpec().getNodeSelector()).containsEntry("disk", "ssd");
    assertThat(pod.getSpec().getTolerations())
        .extracting(t -> t.getKey())
        .containsExactly("dedicated");
    assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("payment-sa");
    assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).isEqualTo(90L);
    assertThat(pod.getSpec().getVolumes())
        .extracting(v -> v.getName())
        .contains("certs", "corebus-config", "corebus-tmp");
    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly(RuntimeContract.CONTAINER_NAME, "log-shipper");
    Container c = runtime(pod);
    assertThat(c.getImage()).isEqualTo("corebus/plugin-runtime:1");
    assertThat(c.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .contains("/etc/certs", RuntimeContract.CONFIG_MOUNT_PATH);
    assertThat(env(c)).containsKeys("EXTRA", RuntimeContract.ENV_PLUGIN_NAME);
    assertThat(c.getReadinessProbe()).isNotNull();
    Container sidecar = pod.getSpec().getContainers().get(1);
    assertThat(sidecar.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(sidecar.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
  }

  @Test
  void labelValuesAreSanitised() {
    assertThat(PluginNames.labelValue("1.0+build.5")).isEqualTo("1.0_build.5");
    assertThat(PluginNames.labelValue("a".repeat(64))).hasSize(63);
  }

  @Test
  void serviceConfigMapAndBudgetSelectThePlugin() {
    Plugin p = payment();
    var svc = PluginServices.desired(p);
    assertThat(svc.getMetadata().getName()).isEqualTo("payment");
    assertThat(svc.getSpec().getSelector()).containsEntry("corebus.io/plugin", "payment");
    assertThat(svc.getSpec().getPorts())
        .extracting(sp -> sp.getName() + ":" + sp.getPort())
        .containsExactly("http:8080", "grpc:9090");
    var cm = PluginConfigMaps.desired(p);
    assertThat(cm.getMetadata().getName()).isEqualTo("payment-config");
    assertThat(cm.getData()).containsExactly(Map.entry("greeting", "hi"));
    var pdb = PluginDisruptionBudgets.desired(p);
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .containsEntry("corebus.io/plugin", "payment");
  }
}
