package io.corebus.crds.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixtures read the same from a directory and from a jar such as the crds test-jar. */
class PluginFixtureTest {

  @Test
  void readsFixturesAndTheirExpectationsFromAJar(@TempDir Path dir) throws IOException {
    Path jar = dir.resolve("fixtures.jar");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      // Directory entries, as the maven-jar-plugin writes them.
      add(out, "plugins/", "");
      add(out, "plugins/invalid/", "");
      add(out, "plugins/invalid/b.yaml", "# expect: spec.version: Required value\nspec: {}\n");
      add(out, "plugins/invalid/a.yaml", "# expect: spec: x: y\nspec: {}\n");
      add(out, "plugins/invalid/notes.txt", "not a fixture");
    }

    List<PluginFixture> fixtures;
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      fixtures = PluginFixture.under("plugins/invalid", loader);
    }

    assertThat(fixtures).extracting(PluginFixture::name).containsExactly("a.yaml", "b.yaml");
    assertThat(fixtures.get(0).expectations())
        .containsExactly(new PluginFixture.Expectation("spec", "x: y"));
    assertThat(fixtures.get(1).expectations())
        .containsExactly(new PluginFixture.Expectation("spec.version", "Required value"));
  }

  private static void add(JarOutputStream jar, String name, String content) throws IOException {
    jar.putNextEntry(new JarEntry(name));
    jar.write(content.getBytes(StandardCharsets.UTF_8));
    jar.closeEntry();
  }
}
