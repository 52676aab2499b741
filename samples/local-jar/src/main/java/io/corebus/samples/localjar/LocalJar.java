package io.corebus.samples.localjar;

import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The local cluster's rule for Plugins whose code was just built on this machine.
 *
 * <p>A Plugin YAML is written for a real cluster: {@code spec.artifact} names a jar URL the pods
 * can fetch (or an image). The local cluster runs plug-ins as processes on this machine and can
 * neither pull images nor reach that URL, so a Plugin may name its local build in an annotation:
 *
 * <pre>{@code
 * metadata:
 *   annotations:
 *     corebus.io/local-jar: ../payment/target/payment-plugin.jar
 * }</pre>
 *
 * <p>The rule, applied to a Plugin read from a YAML file before it is created on the local cluster:
 *
 * <ol>
 *   <li>No annotation: the Plugin is used as written.
 *   <li>The annotation's value is a path; a relative one is resolved against the directory of the
 *       YAML file. It must name a regular file, or the Plugin is refused with a {@link
 *       LocalJarException} that says which Plugin, which path, and to build it first.
 *   <li>{@code spec.artifact} becomes {@code jar: {url: file:///absolute/path.jar, sha256: <SHA-256
 *       of that file>}}, replacing a jar URL or an image.
 *   <li>When the YAML pinned a different sha256 (the jar was rebuilt from changed code since the
 *       YAML was refreshed), or named an image, the result carries a note saying so, for the
 *       launcher to print. The local build is deployed either way: that is what a developer just
 *       built. Keeping the committed sha256 honest is the job of the samples' drift test.
 * </ol>
 *
 * <p>Nothing else changes: the annotation stays (the operator ignores it), and the Plugin passed in
 * is not modified.
 */
public final class LocalJar {
  /** Names the locally built jar of a Plugin, relative to the YAML file's directory. */
  public static final String ANNOTATION = "corebus.io/local-jar";

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private LocalJar() {}

  /**
   * The Plugin to create on the local cluster, and an optional note for the user.
   *
   * @param jar the local jar used, when the annotation was present
   */
  public record Resolved(Plugin plugin, Optional<Path> jar, Optional<String> note) {}

  /**
   * Applies the rule.
   *
   * @param plugin as read from the YAML file; not modified
   * @param manifestDir the directory holding the YAML file
   * @throws LocalJarException when the annotation names no readable file
   */
  public static Resolved resolve(Plugin plugin, Path manifestDir) {
    Map<String, String> annotations = plugin.getMetadata().getAnnotations();
    String local = annotations == null ? null : annotations.get(ANNOTATION);
    if (local == null) {
      return new Resolved(plugin, Optional.empty(), Optional.empty());
    }
    String name = plugin.getMetadata().getName();
    if (local.isBlank()) {
      throw new LocalJarException(
          "Plugin " + name + ": the annotation " + ANNOTATION + " is empty; name the built jar");
    }
    Path jar = manifestDir.resolve(local).toAbsolutePath().normalize();
    if (!Files.isRegularFile(jar)) {
      throw new LocalJarException(
          "Plugin "
              + name
              + ": "
              + ANNOTATION
              + " names "
              + jar
              + ", which does not exist; build the plug-in first (./mvnw package)");
    }
    String sha256 = sha256(jar, name);

    Plugin resolved = SERIALIZATION.clone(plugin);
    Artifact written = resolved.getSpec().getArtifact();
    String note = null;
    if (written != null && written.getImage() != null) {
      note =
          "Plugin "
              + name
              + ": running the local jar "
              + jar
              + " instead of the image "
              + written.getImage();
    } else if (written != null
        && written.getJar() != null
        && !sha256.equals(written.getJar().getSha256())) {
      note =
          "Plugin "
              + name
              + ": the local jar "
              + jar
              + " has SHA-256 "
              + sha256
              + ", not the "
              + written.getJar().getSha256()
              + " its YAML pins (rebuilt since the YAML was refreshed?); running the local jar";
    }
    resolved.getSpec().setArtifact(Artifact.ofJar(jar.toUri().toString(), sha256));
    return new Resolved(resolved, Optional.of(jar), Optional.ofNullable(note));
  }

  /** The file's SHA-256 as 64 lower-case hex characters, as {@code spec.artifact.jar} wants. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String sha256(Path jar, String plugin) {
    try {
      return sha256(jar);
    } catch (IOException e) {
      throw new LocalJarException(
          "Plugin " + plugin + ": cannot read " + jar + " named by " + ANNOTATION + ": " + e, e);
    }
  }
}
