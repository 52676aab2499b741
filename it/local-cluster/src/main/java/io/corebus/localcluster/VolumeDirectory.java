package io.corebus.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A directory whose files change all at once, the way the kubelet updates ConfigMap and Secret
 * volumes (its AtomicWriter): the files live in a timestamped directory {@code ..2025_01_01_...},
 * {@code ..data} is a symlink to it, and each top-level name is a symlink through {@code ..data}.
 * An update writes a new timestamped directory, points a temporary link at it and renames that link
 * over {@code ..data} (one atomic rename), then fixes the top-level links and deletes the old
 * directory. A reader that resolves paths through {@code ..data} never sees a mix of old and new.
 */
final class VolumeDirectory {

  static final String DATA_LINK = "..data";
  private static final String TMP_LINK = "..data_tmp";
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss.SSSSSSSSS");
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private VolumeDirectory() {}

  /**
   * Makes {@code dir} hold exactly {@code files} (relative paths to contents). Returns false when
   * it already did, so nothing changed on disk.
   */
  static synchronized boolean write(Path dir, Map<String, byte[]> files) {
    try {
      Files.createDirectories(dir);
      Path data = dir.resolve(DATA_LINK);
      Path old = null;
      if (Files.isSymbolicLink(data)) {
        old = dir.resolve(Files.readSymbolicLink(data));
        if (Files.isDirectory(old) && sameContent(old, files)) {
          return false;
        }
      }
      String stamp = ".." + LocalDateTime.now().format(STAMP) + "_" + SEQUENCE.incrementAndGet();
      Path fresh = dir.resolve(stamp);
      Files.createDirectory(fresh);
      for (Map.Entry<String, byte[]> f : new TreeMap<>(files).entrySet()) {
        Path target = fresh.resolve(checkRelative(f.getKey()));
        Files.createDirectories(target.getParent());
        Files.write(target, f.getValue());
      }
      Path tmp = dir.resolve(TMP_LINK);
      Files.deleteIfExists(tmp);
      Files.createSymbolicLink(tmp, Path.of(stamp));
      Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

      Set<String> topLevel = new LinkedHashSet<>();
      for (String name : files.keySet()) {
        topLevel.add(Path.of(name).getName(0).toString());
      }
      for (String name : topLevel) {
        Path link = dir.resolve(name);
        if (!Files.isSymbolicLink(link)) {
          Files.deleteIfExists(link);
          Files.createSymbolicLink(link, Path.of(DATA_LINK, name));
        }
      }
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          if (!name.startsWith("..") && !topLevel.contains(name) && Files.isSymbolicLink(entry)) {
            Files.delete(entry);
          }
        }
      }
      if (old != null && !old.equals(fresh)) {
        Directories.deleteRecursively(old);
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the volume " + dir, e);
    }
  }

  private static Path checkRelative(String name) {
    Path p = Path.of(name).normalize();
    if (name.isEmpty()
        || p.isAbsolute()
        || p.startsWith("..")
        || p.getFileName().toString().startsWith("..")) {
      throw new IllegalArgumentException("invalid file name in a volume: " + name);
    }
    return p;
  }

  private static boolean sameContent(Path dir, Map<String, byte[]> files) throws IOException {
    Set<String> onDisk = new LinkedHashSet<>();
    try (var walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          onDisk.add(dir.relativize(p).toString());
        }
      }
    }
    if (!onDisk.equals(files.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      if (!Arrays.equals(Files.readAllBytes(dir.resolve(f.getKey())), f.getValue())) {
        return false;
      }
    }
    return true;
  }
}
