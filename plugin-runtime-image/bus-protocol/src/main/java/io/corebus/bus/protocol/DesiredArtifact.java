package io.corebus.bus.protocol;

import java.util.Objects;

/**
 * What the operator wants a plug-in's runtimes to run, published on {@link BusTopics#control()} for
 * plug-ins whose rollout strategy is HotSwap: the jar (URL and SHA-256) of a version, and the
 * Plugin's generation that asked for it. A runtime that runs another jar swaps to this one in
 * place.
 *
 * @param plugin the Plugin's name (also the record key)
 * @param version the Plugin's spec.version
 * @param jarUrl where to fetch the jar (http, https or file)
 * @param sha256 the jar's SHA-256, 64 lower-case hex characters
 * @param generation the Plugin's metadata.generation when this was written
 */
public record DesiredArtifact(
    String plugin, String version, String jarUrl, String sha256, long generation) {
  public DesiredArtifact {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(jarUrl, "jarUrl");
    Objects.requireNonNull(sha256, "sha256");
    if (plugin.isBlank() || version.isBlank() || jarUrl.isBlank() || sha256.isBlank()) {
      throw new IllegalArgumentException("plugin, version, jarUrl and sha256 must not be blank");
    }
  }

  /** Whether both name the same jar (the generation may differ). */
  public boolean sameArtifact(DesiredArtifact other) {
    return other != null
        && plugin.equals(other.plugin)
        && version.equals(other.version)
        && jarUrl.equals(other.jarUrl)
        && sha256.equals(other.sha256);
  }
}
