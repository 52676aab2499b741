package io.corebus.runtime.loader;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.plugin.Plugin;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginClassLoaderTest {
  @TempDir Path tmp;

  private PluginClassLoader loaderFor(Path jar) {
    return new PluginClassLoader("test", List.of(jar), getClass().getClassLoader());
  }

  @Test
  void pluginClassesComeFromTheJarAndSeeTheRuntimesSdkTypes() throws Exception {
    Path jar =
        new TestJars(tmp)
            .source(
                "com.example.probe.ProbePlugin",
                TestJars.pluginSource("com.example.probe", "ProbePlugin", "2.0"))
            .jar("probe.jar");
    try (PluginClassLoader loader = loaderFor(jar)) {
      Class<?> probe = loader.loadClass("com.example.probe.ProbePlugin");

      assertThat(probe.getClassLoader()).isSameAs(loader);
      // The SDK type is the runtime's: the instance can be used as a Plugin without reflection.
      assertThat(loader.loadClass(Plugin.class.getName())).isSameAs(Plugin.class);
      Plugin plugin = (Plugin) probe.getDeclaredConstructor().newInstance();
      assertThat(plugin.version()).isEqualTo("2.0");
      assertThat(loader.loadClass("io.grpc.BindableService"))
          .isSameAs(io.grpc.BindableService.class);
    }
  }

  @Test
  void aClassTheJarBundlesWinsOverTheRuntimesCopy() throws Exception {
    Path jar =
        new TestJars(tmp)
            .source(
                "io.corebus.testfixture.Shadowed",
                "package io.corebus.testfixture;\n"
                    + "public class Shadowed { public static String origin() { return \"plugin\"; } }\n")
            .resource("corebus-probe.txt", "plugin")
            .jar("shadow.jar");
    try (PluginClassLoader loader = loaderFor(jar)) {
      Class<?> shadowed = loader.loadClass("io.corebus.testfixture.Shadowed");
      Method origin = shadowed.getMethod("origin");

      assertThat(origin.invoke(null)).isEqualTo("plugin");
      assertThat(io.corebus.testfixture.Shadowed.origin()).isEqualTo("runtime");
      try (InputStream in = loader.getResourceAsStream("corebus-probe.txt")) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("plugin");
      }
    }
  }

  @Test
  void sharedPackagesAndTheJdkAlwaysComeFromTheRuntimeEvenIfTheJarBundlesThem() throws Exception {
    Path jar =
        new TestJars(tmp)
            // a jar that (wrongly) bundles its own copy of a shared gRPC class
            .source(
                "io.grpc.Status",
                "package io.grpc;\npublic class Status { public static String fake() { return \"bundled\"; } }\n")
            .jar("bundles-grpc.jar");
    try (PluginClassLoader loader = loaderFor(jar)) {
      assertThat(loader.loadClass("io.grpc.Status")).isSameAs(io.grpc.Status.class);
      assertThat(loader.loadClass("java.lang.String")).isSameAs(String.class);
    }
  }

  @Test
  void classesTheJarLacksFallBackToTheRuntime() throws Exception {
    Path jar = new TestJars(tmp).resource("empty.txt", "").jar("empty.jar");
    try (PluginClassLoader loader = loaderFor(jar)) {
      assertThat(loader.loadClass("io.corebus.testfixture.Shadowed"))
          .isSameAs(io.corebus.testfixture.Shadowed.class);
    }
  }
}
