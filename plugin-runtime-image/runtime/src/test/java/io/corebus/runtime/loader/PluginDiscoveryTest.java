package io.corebus.runtime.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.plugin.Plugin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginDiscoveryTest {
  @TempDir Path tmp;

  private Plugin discover(Path jar) throws Exception {
    return PluginDiscovery.discover(
        new PluginClassLoader("test", List.of(jar), getClass().getClassLoader()));
  }

  @Test
  void findsTheOnePluginTheJarDeclares() throws Exception {
    Path jar =
        new TestJars(tmp)
            .source(
                "com.example.a.APlugin", TestJars.pluginSource("com.example.a", "APlugin", "1.2.3"))
            .services("com.example.a.APlugin")
            .jar("a.jar");

    Plugin plugin = discover(jar);

    assertThat(plugin.getClass().getName()).isEqualTo("com.example.a.APlugin");
    assertThat(plugin.version()).isEqualTo("1.2.3");
  }

  @Test
  void aJarWithoutAPluginIsRefusedWithWhatToAdd() throws Exception {
    Path jar =
        new TestJars(tmp)
            .source("com.example.a.APlugin", TestJars.pluginSource("com.example.a", "APlugin", "1"))
            .jar("no-services.jar");

    assertThatThrownBy(() -> discover(jar))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("declares no Plugin")
        .hasMessageContaining("META-INF/services/io.corebus.plugin.Plugin")
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("NoPlugin");
  }

  @Test
  void aJarWithTwoPluginsIsRefusedNamingBoth() throws Exception {
    Path jar =
        new TestJars(tmp)
            .source("com.example.a.APlugin", TestJars.pluginSource("com.example.a", "APlugin", "1"))
            .source("com.example.b.BPlugin", TestJars.pluginSource("com.example.b", "BPlugin", "1"))
            .services("com.example.a.APlugin", "com.example.b.BPlugin")
            .jar("two.jar");

    assertThatThrownBy(() -> discover(jar))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("declares 2 Plugins")
        .hasMessageContaining("com.example.a.APlugin")
        .hasMessageContaining("com.example.b.BPlugin")
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("AmbiguousPlugin");
  }

  @Test
  void aServicesFileNamingAMissingClassIsRefusedClearly() throws Exception {
    Path jar = new TestJars(tmp).services("com.example.Missing").jar("missing.jar");

    assertThatThrownBy(() -> discover(jar))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("com.example.Missing");
  }

  @Test
  void pluginsOnlyOnTheRuntimesClassPathDoNotCount() throws Exception {
    // The test class path holds the Echo test plug-in with its services file; this jar has none.
    Path jar = new TestJars(tmp).resource("x.txt", "x").jar("bare.jar");

    assertThatThrownBy(() -> discover(jar))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("declares no Plugin");
  }

  @Test
  void anImageDirectoryWithoutJarsSaysWhatIsMissing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plugin"));
    assertThatThrownBy(() -> PluginDiscovery.jarsIn(dir))
        .hasMessageContaining("contains no .jar file");
    assertThatThrownBy(() -> PluginDiscovery.jarsIn(tmp.resolve("nope")))
        .hasMessageContaining("does not exist");

    Files.writeString(dir.resolve("b.jar"), "");
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("lib/a.jar"), "");
    assertThat(PluginDiscovery.jarsIn(dir))
        .containsExactly(dir.resolve("b.jar"), dir.resolve("lib/a.jar"));
  }
}
