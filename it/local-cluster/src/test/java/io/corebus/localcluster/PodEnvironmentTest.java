package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A container's environment, resolved as the kubelet resolves it. */
class PodEnvironmentTest {

  private final Pod pod =
      new PodBuilder()
          .withNewMetadata()
          .withName("payment-0")
          .withNamespace("shop")
          .withUid("uid-1")
          .addToLabels("app", "payment")
          .endMetadata()
          .withNewSpec()
          .withNodeName("corebus-local")
          .endSpec()
          .build();

  private final ConfigMap config =
      new ConfigMapBuilder()
          .withNewMetadata()
          .withName("cfg")
          .endMetadata()
          .addToData("currency", "EUR")
          .addToData("region", "eu")
          .build();

  private final Secret secret =
      new SecretBuilder()
          .withNewMetadata()
          .withName("db")
          .endMetadata()
          .addToData(
              "password",
              Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)))
          .build();

  private final PodEnvironment environment =
      new PodEnvironment(
          pod,
          "127.0.1.7",
          "127.0.0.1",
          (ns, name) -> name.equals("cfg") ? Optional.of(config) : Optional.empty(),
          (ns, name) -> name.equals("db") ? Optional.of(secret) : Optional.empty());

  @Test
  void downwardApiConfigMapsSecretsAndReferencesAreResolved() throws Exception {
    Container c =
        new ContainerBuilder()
            .withName("app")
            .addNewEnvFrom()
            .withPrefix("CFG_")
            .withNewConfigMapRef("cfg", false)
            .endEnvFrom()
            .addNewEnv()
            .withName("POD")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.name")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("IP")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("status.podIP")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("NODE")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("spec.nodeName")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("APP")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.labels['app']")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("PASSWORD")
            .withNewValueFrom()
            .withNewSecretKeyRef("password", "db", false)
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("URL")
            .withValue("http://$(IP):8080/$(POD)/$(UNKNOWN)/$$(POD)")
            .endEnv()
            .addNewEnv()
            .withName("OPTIONAL")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("nope", "cfg", true)
            .endValueFrom()
            .endEnv()
            .build();

    Map<String, String> env = environment.resolve(c, Map.of());

    assertThat(env)
        .containsEntry("CFG_currency", "EUR")
        .containsEntry("CFG_region", "eu")
        .containsEntry("POD", "payment-0")
        .containsEntry("IP", "127.0.1.7")
        .containsEntry("NODE", "corebus-local")
        .containsEntry("APP", "payment")
        .containsEntry("PASSWORD", "s3cret")
        .containsEntry("URL", "http://127.0.1.7:8080/payment-0/$(UNKNOWN)/$(POD)")
        .containsEntry("QUARKUS_HTTP_HOST", "127.0.1.7")
        .containsEntry("QUARKUS_GRPC_SERVER_HOST", "127.0.1.7")
        .doesNotContainKey("OPTIONAL");
  }

  @Test
  void mountPathsInValuesPointAtTheLocalVolumeDirectory() throws Exception {
    Container c =
        new ContainerBuilder()
            .withName("app")
            .addNewEnv()
            .withName("COREBUS_CONFIG_DIR")
            .withValue("/etc/corebus/config")
            .endEnv()
            .addNewEnv()
            .withName("FILE")
            .withValue("/etc/corebus/config/currency")
            .endEnv()
            .addNewEnv()
            .withName("OTHER")
            .withValue("/etc/corebus/configuration")
            .endEnv()
            .addNewEnv()
            .withName("DATA")
            .withValue("/data/x")
            .endEnv()
            .build();

    Map<String, String> env =
        environment.resolve(
            c,
            Map.of(
                "/etc/corebus/config",
                "/work/pods/p/volumes/config",
                "/data/",
                "/work/pods/p/volumes/data"));

    assertThat(env)
        .containsEntry("COREBUS_CONFIG_DIR", "/work/pods/p/volumes/config")
        .containsEntry("FILE", "/work/pods/p/volumes/config/currency")
        .containsEntry("OTHER", "/etc/corebus/configuration")
        .containsEntry("DATA", "/work/pods/p/volumes/data/x");
  }

  @Test
  void missingConfigMapsAndKeysStopTheContainerWithTheirName() {
    Container missingMap =
        new ContainerBuilder()
            .withName("app")
            .addNewEnv()
            .withName("X")
            .withNewValueFrom()
            .withNewConfigMapKeyRef("k", "absent", false)
            .endValueFrom()
            .endEnv()
            .build();
    Container missingKey =
        new ContainerBuilder()
            .withName("app")
            .addNewEnv()
            .withName("X")
            .withNewValueFrom()
            .withNewSecretKeyRef("user", "db", false)
            .endValueFrom()
            .endEnv()
            .build();

    assertThatThrownBy(() -> environment.resolve(missingMap, Map.of()))
        .isInstanceOf(PodEnvironment.ConfigError.class)
        .hasMessage("configmap \"absent\" not found");
    assertThatThrownBy(() -> environment.resolve(missingKey, Map.of()))
        .isInstanceOf(PodEnvironment.ConfigError.class)
        .hasMessage("couldn't find key user in Secret shop/db");
  }

  @Test
  void resourceFieldRefsUseTheLimitsAndTheDivisor() throws Exception {
    Container c =
        new ContainerBuilder()
            .withName("app")
            .withNewResources()
            .addToLimits("memory", new Quantity("512Mi"))
            .addToLimits("cpu", new Quantity("1500m"))
            .endResources()
            .addNewEnv()
            .withName("MEM_MB")
            .withNewValueFrom()
            .withNewResourceFieldRef()
            .withDivisor(new Quantity("1Mi"))
            .withResource("limits.memory")
            .endResourceFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("CPUS")
            .withNewValueFrom()
            .withNewResourceFieldRef()
            .withResource("limits.cpu")
            .endResourceFieldRef()
            .endValueFrom()
            .endEnv()
            .build();

    Map<String, String> env = environment.resolve(c, Map.of());

    assertThat(env).containsEntry("MEM_MB", "512").containsEntry("CPUS", "2");
  }
}
