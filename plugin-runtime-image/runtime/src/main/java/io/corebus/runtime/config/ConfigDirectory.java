package io.corebus.runtime.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a directory with one file per configuration key, as Kubernetes mounts a ConfigMap.
 *
 * <p>The kubelet writes a new version into a fresh timestamped directory and then swaps the {@code
 * ..data} symlink to it in one rename; the key files are symlinks into {@code ..data}. Reading
 * through the resolved {@code ..data} target therefore sees one version of all keys, never a mix of
 * old and new. Without {@code ..data} (a plain directory, as in local runs) the files are read
 * directly. Hidden entries (names starting with '.') and subdirectories are not keys.
 */
public final class ConfigDirectory {
  private static final String KUBELET_DATA = "..data";

  private ConfigDirectory() {}

  /** The keys and values in {@code dir}; empty when the directory does not exist. */
  public static Map<String, String> read(Path dir) throws IOException {
    Map<String, String> config = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return config;
    }
    Path data = dir.resolve(KUBELET_DATA);
    Path source = Files.isDirectory(data) ? data.toRealPath() : dir;
    try (Stream<Path> entries = Files.list(source)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String key = entry.getFileName().toString();
        if (key.startsWith(".") || !Files.isRegularFile(entry)) {
          continue;
        }
        config.put(key, Files.readString(entry, StandardCharsets.UTF_8));
      }
    }
    return config;
  }
}
