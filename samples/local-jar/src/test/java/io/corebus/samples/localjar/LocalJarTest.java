package io.corebus.samples.localjar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalJarTest {
  // SHA-256 of the bytes "jar", computed with sha256sum
  private static final String JAR_SHA256 =
      "0163f1eea7894350060624d315234d40c508ab251ba121714e234503045faadd";

  @TempDir Path repo;

  private static Plugin plugin(String artifactAndAnnotations) {
    return new KubernetesSerialization()
        .unmarshal(
            """
            apiVersion: corebus.io/v1alpha1
            kind: Plugin
            metadata:
              name: payment
            %s
            """
                .formatted(artifactAndAnnotations),
            Plugin.class);
  }

  private Path jar(String relative) throws Exception {
    Path jar = repo.resolve(relative);
    Files.createDirectories(jar.getParent());
    Files.writeString(jar, "jar", StandardCharsets.UTF_8);
    return jar;
  }

  @Test
  void aPluginWithoutTheAnnotationIsUsedAsWritten() {
    Plugin written =
        plugin(
            """
            spec:
              version: "1.0.0"
              artifact:
                jar:
                  url: https://repo.example.com/payment.jar
                  sha256: %s
            """
                .formatted("a".repeat(64)));

    LocalJar.Resolved resolved = LocalJar.resolve(written, repo);

    assertThat(resolved.plugin()).isSameAs(written);
    assertThat(resolved.jar()).isEmpty();
    assertThat(resolved.note()).isEmpty();
  }

  @Test
  void theAnnotatedJarReplacesTheUrlWithAFileUrlRelativeToTheYamlsDirectory() throws Exception {
    Path jar = jar("shop/payment/target/payment-plugin.jar");
    String sha = LocalJar.sha256(jar);
    Plugin written =
        plugin(
            """
              annotations:
                corebus.io/local-jar: ../payment/target/payment-plugin.jar
            spec:
              version: "1.0.0"
              artifact:
                jar:
                  url: http://shop-plugin-jars/payment-plugin-1.0.0.jar
                  sha256: %s
            """
                .formatted(sha));

    LocalJar.Resolved resolved = LocalJar.resolve(written, repo.resolve("shop/plugins"));

    assertThat(resolved.plugin().getSpec().getArtifact().getJar().getUrl())
        .isEqualTo(jar.toUri().toString())
        .startsWith("file:///");
    assertThat(resolved.plugin().getSpec().getArtifact().getJar().getSha256()).isEqualTo(sha);
    assertThat(resolved.jar()).contains(jar);
    assertThat(resolved.note()).isEmpty();
    // the Plugin read from the file is left alone
    assertThat(written.getSpec().getArtifact().getJar().getUrl())
        .isEqualTo("http://shop-plugin-jars/payment-plugin-1.0.0.jar");
    assertThat(resolved.plugin().getSpec().getVersion()).isEqualTo("1.0.0");
    assertThat(resolved.plugin().getMetadata().getAnnotations())
        .containsEntry(LocalJar.ANNOTATION, "../payment/target/payment-plugin.jar");
  }

  @Test
  void theSha256IsTheBuiltJarsAndADifferentPinnedOneIsNoted() throws Exception {
    Path jar = jar("payment-plugin.jar");
    Plugin written =
        plugin(
            """
              annotations:
                corebus.io/local-jar: %s
            spec:
              version: "1.0.0"
              artifact:
                jar:
                  url: http://shop-plugin-jars/payment-plugin-1.0.0.jar
                  sha256: %s
            """
                .formatted(jar, "0".repeat(64)));

    LocalJar.Resolved resolved = LocalJar.resolve(written, Path.of("/elsewhere"));

    assertThat(resolved.plugin().getSpec().getArtifact().getJar().getSha256())
        .isEqualTo(LocalJar.sha256(jar))
        .matches("[a-f0-9]{64}");
    assertThat(resolved.note())
        .hasValueSatisfying(
            note ->
                assertThat(note)
                    .contains("Plugin payment", jar.toString(), "0".repeat(64))
                    .contains("running the local jar"));
  }

  @Test
  void anImageIsReplacedByTheLocalJarWithANote() throws Exception {
    Path jar = jar("payment-plugin.jar");
    Plugin written =
        plugin(
            """
              annotations:
                corebus.io/local-jar: payment-plugin.jar
            spec:
              version: "1.0.0"
              artifact:
                image: registry.example.com/shop/payment:1.0.0
            """);

    LocalJar.Resolved resolved = LocalJar.resolve(written, repo);

    assertThat(resolved.plugin().getSpec().getArtifact().getImage()).isNull();
    assertThat(resolved.plugin().getSpec().getArtifact().getJar().getUrl())
        .isEqualTo(jar.toUri().toString());
    assertThat(resolved.note())
        .contains(
            "Plugin payment: running the local jar "
                + jar
                + " instead of the image registry.example.com/shop/payment:1.0.0");
  }

  @Test
  void aMissingJarIsRefusedNamingThePluginAndThePath() {
    Plugin written =
        plugin(
            """
              annotations:
                corebus.io/local-jar: ../payment/target/payment-plugin.jar
            spec:
              version: "1.0.0"
              artifact:
                image: registry.example.com/shop/payment:1.0.0
            """);

    assertThatThrownBy(() -> LocalJar.resolve(written, repo.resolve("shop/plugins")))
        .isInstanceOf(LocalJarException.class)
        .hasMessage(
            "Plugin payment: corebus.io/local-jar names "
                + repo.resolve("shop/payment/target/payment-plugin.jar")
                + ", which does not exist; build the plug-in first (./mvnw package)");
  }

  @Test
  void sha256IsLowerCaseHexOfTheContent() throws Exception {
    assertThat(LocalJar.sha256(jar("x.jar"))).isEqualTo(JAR_SHA256);
  }
}
