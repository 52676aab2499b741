package io.corebus.samples.shop.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.corebus.crds.Plugin;
import io.corebus.crds.validation.CrdSchemaValidator;
import io.corebus.samples.localjar.LocalJar;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The committed Plugin YAMLs are valid, follow the URL scheme, and pin exactly the jars the build
 * produces (the jars are reproducible, so a SHA-256 changes only when the code does).
 */
class ShopPluginYamlsTest {
  static final String REFRESH_COMMAND =
      "./mvnw -B -ntp -pl samples/shop/plugins -am package -Dcorebus.samples.update=true";

  private static final boolean UPDATE = Boolean.getBoolean("corebus.samples.update");

  /** The JDK whose builds the YAMLs pin: javac output, and so the SHA-256, differ between JDKs. */
  private static final int PINNED_JDK = Integer.getInteger("corebus.samples.jdk", 17);

  private static final int THIS_JDK = Runtime.version().feature();

  private final CrdSchemaValidator validator = CrdSchemaValidator.forPluginCrd();

  @Test
  void theShopHasItsFourPluginsOnePerFileNamedLikeIt() {
    assertThat(ShopPlugin.all())
        .extracting(ShopPlugin::name)
        .containsExactly("inventory", "notification", "order", "payment");
    for (ShopPlugin p : ShopPlugin.all()) {
      assertThat(p.file().getFileName()).hasToString(p.name() + ".yaml");
      assertThat(p.localJarAnnotation())
          .as("%s: the corebus.io/local-jar annotation", p.file().getFileName())
          .isEqualTo("../" + p.name() + "/target/" + p.name() + "-plugin.jar");
    }
  }

  @Test
  void everyYamlIsAPluginTheApiServerAccepts() {
    for (ShopPlugin p : ShopPlugin.all()) {
      assertThat(validator.validateYaml(p.yaml())).as(p.file().toString()).isEmpty();
    }
  }

  /** What `./corebus up samples/shop` creates: the local-jar rule applied to each YAML. */
  @Test
  void theLocalClusterFormIsAValidPluginWithAFileUrlToTheBuiltJar() throws Exception {
    KubernetesSerialization serialization = new KubernetesSerialization();
    for (ShopPlugin p : ShopPlugin.all()) {
      LocalJar.Resolved local = LocalJar.resolve(p.plugin(), ShopPlugin.DIR);

      Plugin plugin = local.plugin();
      assertThat(plugin.getSpec().getArtifact().getJar().getUrl())
          .isEqualTo(p.localJar().toUri().toString());
      assertThat(plugin.getSpec().getArtifact().getJar().getSha256())
          .isEqualTo(LocalJar.sha256(p.localJar()));
      assertThat(validator.validateYaml(serialization.asYaml(plugin)))
          .as(p.file().toString())
          .isEmpty();
    }
  }

  /**
   * The drift test: version, url and sha256 in each YAML are what the built jar says. With {@code
   * -Dcorebus.samples.update=true} it rewrites those three lines instead of failing.
   */
  @Test
  void everyYamlPinsTheVersionUrlAndSha256OfItsBuiltJar() throws Exception {
    if (UPDATE && THIS_JDK != PINNED_JDK) {
      fail(
          "Refusing to refresh the YAMLs from jars built with JDK "
              + THIS_JDK
              + ": they pin the jars of JDK "
              + PINNED_JDK
              + " builds. Run the refresh with JAVA_HOME pointing to a JDK "
              + PINNED_JDK
              + ".");
    }
    List<String> drift = new ArrayList<>();
    for (ShopPlugin p : ShopPlugin.all()) {
      Path jar = p.localJar();
      if (!Files.isRegularFile(jar)) {
        fail(
            jar
                + " is missing; build the plug-ins first: ./mvnw -B -ntp -pl samples/shop/plugins"
                + " -am package");
      }
      String version;
      try (PluginJar opened = PluginJar.open(jar)) {
        version = opened.plugin().version();
      }
      String sha256 = LocalJar.sha256(jar);
      String url = p.publishedUrl(version);

      String expected = p.yaml();
      expected = withScalar(expected, p.file(), "version", '"' + version + '"');
      expected = withScalar(expected, p.file(), "url", url);
      expected = withScalar(expected, p.file(), "sha256", sha256);
      if (expected.equals(p.yaml())) {
        continue;
      }
      if (UPDATE) {
        Files.writeString(p.file(), expected);
        System.out.println("refreshed " + p.file());
        continue;
      }
      var jarArtifact = p.plugin().getSpec().getArtifact().getJar();
      drift.add(
          p.file().getFileName()
              + ": the jar "
              + p.localJarAnnotation()
              + " is version "
              + version
              + ", sha256 "
              + sha256
              + ", published at "
              + url
              + "; the YAML says version "
              + p.plugin().getSpec().getVersion()
              + ", sha256 "
              + (jarArtifact == null ? null : jarArtifact.getSha256())
              + ", url "
              + (jarArtifact == null ? null : jarArtifact.getUrl()));
    }
    if (!drift.isEmpty()) {
      fail(
          "The shop's Plugin YAMLs do not match the built jars:\n  "
              + String.join("\n  ", drift)
              + (THIS_JDK == PINNED_JDK
                  ? ""
                  : "\nThis build ran on JDK "
                      + THIS_JDK
                      + ", and the YAMLs pin the jars of JDK "
                      + PINNED_JDK
                      + " builds (javac output differs between JDKs): build with JAVA_HOME"
                      + " pointing to a JDK "
                      + PINNED_JDK
                      + ".")
              + "\nIf the code change is intended, refresh them, review the diff and commit it:\n  "
              + REFRESH_COMMAND);
    }
  }

  /** The URLs of the YAMLs work on a real cluster because k8s/plugin-jars.yaml serves them. */
  @Test
  void theJarServerServesTheBaseUrlTheYamlsNameUnderTheRestrictedProfile() throws Exception {
    KubernetesSerialization serialization = new KubernetesSerialization();
    String[] documents =
        Files.readString(ShopPlugin.DIR.resolve("../k8s/plugin-jars.yaml")).split("(?m)^---$");
    assertThat(documents).hasSize(2);
    Deployment deployment = serialization.unmarshal(documents[0], Deployment.class);
    Service service = serialization.unmarshal(documents[1], Service.class);

    assertThat(ShopPlugin.JAR_BASE_URL)
        .isEqualTo("http://" + service.getMetadata().getName() + "/");
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(port -> assertThat(port.getPort()).isEqualTo(80));
    assertThat(service.getSpec().getSelector())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());

    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes())
        .singleElement()
        .satisfies(v -> assertThat(v.getConfigMap().getName()).isEqualTo("shop-plugin-jars"));
    Container httpd = pod.getContainers().get(0);
    assertThat(httpd.getCommand())
        .containsSubsequence("-p", "8080", "-h", httpd.getVolumeMounts().get(0).getMountPath());
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(httpd.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(httpd.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
  }

  /**
   * Replaces the value of the one {@code key:} line, keeping indentation and comments elsewhere.
   */
  static String withScalar(String yaml, Path file, String key, String value) {
    Pattern line = Pattern.compile("(?m)^([ \\t]+" + Pattern.quote(key) + ":[ \\t]*)\\S.*$");
    Matcher m = line.matcher(yaml);
    int count = 0;
    while (m.find()) {
      count++;
    }
    if (count != 1) {
      fail(file + " must have exactly one '" + key + ":' line to refresh, has " + count);
    }
    return line.matcher(yaml).replaceFirst(r -> Matcher.quoteReplacement(r.group(1) + value));
  }
}
