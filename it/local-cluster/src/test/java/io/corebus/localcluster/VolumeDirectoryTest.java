package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ConfigMap volumes laid out and swapped the way the kubelet does it. */
class VolumeDirectoryTest {

  @TempDir Path dir;

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void filesAreReachedThroughTheDataLink() throws Exception {
    VolumeDirectory.write(dir, Map.of("greeting", text("hello"), "nested/deep.txt", text("x")));

    assertThat(Files.isSymbolicLink(dir.resolve("..data"))).isTrue();
    assertThat(Files.isSymbolicLink(dir.resolve("greeting"))).isTrue();
    assertThat(Files.readSymbolicLink(dir.resolve("greeting")))
        .isEqualTo(Path.of("..data/greeting"));
    assertThat(Files.readString(dir.resolve("greeting"))).isEqualTo("hello");
    assertThat(Files.readString(dir.resolve("nested/deep.txt"))).isEqualTo("x");
  }

  @Test
  void anUpdateSwapsTheDataLinkAndDropsRemovedKeysAndTheOldDirectory() throws Exception {
    VolumeDirectory.write(dir, Map.of("a", text("1"), "b", text("2")));
    Path first = Files.readSymbolicLink(dir.resolve("..data"));

    boolean changed = VolumeDirectory.write(dir, Map.of("a", text("10"), "c", text("3")));

    assertThat(changed).isTrue();
    assertThat(Files.readSymbolicLink(dir.resolve("..data"))).isNotEqualTo(first);
    assertThat(Files.readString(dir.resolve("a"))).isEqualTo("10");
    assertThat(Files.readString(dir.resolve("c"))).isEqualTo("3");
    assertThat(dir.resolve("b")).doesNotExist();
    assertThat(dir.resolve(first)).doesNotExist();
    try (Stream<Path> entries = Files.list(dir)) {
      assertThat(entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("..")))
          .hasSize(2); // ..data and the one timestamped directory
    }
  }

  @Test
  void writingTheSameContentChangesNothing() throws Exception {
    VolumeDirectory.write(dir, Map.of("a", text("1")));
    Path link = Files.readSymbolicLink(dir.resolve("..data"));

    assertThat(VolumeDirectory.write(dir, Map.of("a", text("1")))).isFalse();
    assertThat(Files.readSymbolicLink(dir.resolve("..data"))).isEqualTo(link);
  }

  @Test
  void pathsOutsideTheVolumeAreRefused() {
    assertThatThrownBy(() -> VolumeDirectory.write(dir, Map.of("../escape", text("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("../escape");
    assertThat(dir.getParent().resolve("escape")).doesNotExist();
  }
}
