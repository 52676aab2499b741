package io.corebus.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {
  @TempDir Path dir;
  private int version;

  /** Writes a ConfigMap version the way the kubelet's atomic writer does. */
  private void kubeletWrites(Map<String, String> data) throws IOException {
    Path ts = Files.createDirectory(dir.resolve("..2026_11_21_" + (++version)));
    for (var e : data.entrySet()) {
      Files.writeString(ts.resolve(e.getKey()), e.getValue());
    }
    Path tmpLink = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmpLink, ts.getFileName());
    Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String key : data.keySet()) {
      Path link = dir.resolve(key);
      if (!Files.isSymbolicLink(link)) {
        Files.createSymbolicLink(link, Path.of("..data").resolve(key));
      }
    }
    try (var links = Files.list(dir)) {
      for (Path link : links.toList()) {
        String name = link.getFileName().toString();
        if (!name.startsWith(".") && !data.containsKey(name)) {
          Files.delete(link);
        }
      }
    }
  }

  @Test
  void readsKeysThroughTheKubeletsDataLinkAndSkipsItsInternals() throws Exception {
    kubeletWrites(Map.of("greeting", "hello", "limit", "10"));

    assertThat(ConfigDirectory.read(dir))
        .containsExactlyInAnyOrderEntriesOf(Map.of("greeting", "hello", "limit", "10"));
  }

  @Test
  void aPlainDirectoryAndAMissingOneWorkToo() throws Exception {
    Files.writeString(dir.resolve("a"), "1");
    Files.writeString(dir.resolve(".hidden"), "x");
    assertThat(ConfigDirectory.read(dir)).containsExactlyEntriesOf(Map.of("a", "1"));
    assertThat(ConfigDirectory.read(dir.resolve("absent"))).isEmpty();
  }

  @Test
  void listenersGetTheWholeNewConfigAfterASymlinkSwapAndOnlyOnChange() throws Exception {
    kubeletWrites(Map.of("greeting", "hello", "limit", "10"));
    LivePluginConfig config =
        new LivePluginConfig(ConfigDirectory.read(dir), getClass().getClassLoader());
    List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
    config.onChange(seen::add);
    config.onChange(
        c -> {
          throw new IllegalStateException("a broken listener must not stop the others");
        });
    try (ConfigWatcher watcher = new ConfigWatcher(dir, config, Duration.ofHours(1))) {
      watcher.poll();
      assertThat(seen).as("nothing changed yet").isEmpty();

      kubeletWrites(Map.of("greeting", "bonjour", "mode", "fast"));
      watcher.poll();
      watcher.poll();

      assertThat(seen).containsExactly(Map.of("greeting", "bonjour", "mode", "fast"));
      assertThat(config.get("greeting")).contains("bonjour");
      assertThat(config.get("limit")).isEmpty();

      kubeletWrites(Map.of("greeting", "hallo", "mode", "fast"));
      watcher.poll();
      assertThat(seen).hasSize(2).last().isEqualTo(Map.of("greeting", "hallo", "mode", "fast"));
    }
  }

  @Test
  void aRemovedListenerIsNotCalled() {
    LivePluginConfig config = new LivePluginConfig(Map.of(), getClass().getClassLoader());
    List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
    config.onChange(seen::add).close();

    assertThat(config.update(Map.of("a", "b"))).isTrue();
    assertThat(seen).isEmpty();
  }
}
