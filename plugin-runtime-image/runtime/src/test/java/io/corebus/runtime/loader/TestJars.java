package io.corebus.runtime.loader;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.plugin.Plugin;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds plug-in jars in tests: compiles Java sources with javax.tools and packs them. */
final class TestJars {
  private final Path workDir;
  private final Map<String, String> sources = new LinkedHashMap<>();
  private final Map<String, byte[]> resources = new LinkedHashMap<>();

  TestJars(Path workDir) {
    this.workDir = workDir;
  }

  TestJars source(String className, String code) {
    sources.put(className, code);
    return this;
  }

  TestJars resource(String path, String content) {
    resources.put(path, content.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  TestJars services(String... pluginClasses) {
    return resource(
        "META-INF/services/" + Plugin.class.getName(), String.join("\n", pluginClasses) + "\n");
  }

  Path jar(String name) throws IOException {
    Path src = Files.createTempDirectory(workDir, "src");
    Path classes = Files.createTempDirectory(workDir, "classes");
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-cp", sdkClasspath()));
    for (var e : sources.entrySet()) {
      Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, e.getValue());
      args.add(file.toString());
    }
    if (!sources.isEmpty()) {
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      assertThat(javac.run(null, null, null, args.toArray(String[]::new)))
          .as("test plug-in sources compile")
          .isZero();
    }
    Path jar = workDir.resolve(name);
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        zip.putNextEntry(
            new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
        zip.write(Files.readAllBytes(f));
        zip.closeEntry();
      }
      for (var e : resources.entrySet()) {
        zip.putNextEntry(new JarEntry(e.getKey()));
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return jar;
  }

  /** The SDK and what its signatures mention (gRPC, protobuf): what a plug-in compiles against. */
  private static String sdkClasspath() {
    return String.join(
        File.pathSeparator,
        location(Plugin.class),
        location(io.grpc.Channel.class),
        location(com.google.protobuf.MessageLite.class));
  }

  private static String location(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pluginSource(String pkg, String simpleName, String version) {
    return "package "
        + pkg
        + ";\n"
        + "public class "
        + simpleName
        + " implements io.corebus.plugin.Plugin {\n"
        + "  public void start(io.corebus.plugin.PluginContext c) {}\n"
        + "  public void stop() {}\n"
        + "  public String version() { return \""
        + version
        + "\"; }\n"
        + "}\n";
  }
}
