package io.corebus.localcluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * Turns a pod's container into the command line of a local process. There is no container runtime:
 * the image names nothing that can run here. By default ({@link #runtimeJar}) every container runs
 * the Corebus plugin runtime from its {@code quarkus-run.jar}, whatever its image; tests map images
 * to small programs with {@link #byImage} and {@link #javaMain}.
 *
 * <p>The Java commands built here run the program under {@link OrphanGuard}, so it exits when the
 * kubelet's JVM dies, however it dies. A custom command that is not a JVM has no such guard.
 */
@FunctionalInterface
public interface ContainerCommand {

  /**
   * The command line for this container. Throw {@link IllegalStateException} with a message a user
   * can act on when the container cannot run here; the kubelet reports it in the container's status
   * (reason RunContainerError) and retries with back-off.
   */
  List<String> command(ContainerLaunch launch);

  /**
   * {@code java -Xmx<heap> -jar quarkus-run.jar}, for every container: the image only shows up in
   * logs. The container's command and args are ignored.
   */
  static ContainerCommand runtimeJar(Path jar) {
    return launch -> {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            "the plugin runtime jar "
                + jar
                + " does not exist (build it: ./mvnw -pl plugin-runtime-image/runtime -am package"
                + " -DskipTests); image "
                + launch.image()
                + " cannot run locally without it");
      }
      String mainClass;
      try (JarFile file = new JarFile(jar.toFile())) {
        mainClass = file.getManifest().getMainAttributes().getValue("Main-Class");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + jar, e);
      }
      if (mainClass == null) {
        throw new IllegalStateException(jar + " has no Main-Class");
      }
      // -cp instead of -jar so that OrphanGuard can wrap the main class; the jar's Class-Path
      // manifest entry (quarkus-run.jar's lib/ jars) applies either way.
      return java(launch, jar + File.pathSeparator + guardLocation(), mainClass, List.of());
    };
  }

  /**
   * {@code java -Xmx<heap> -cp <classpath> <mainClass> <args>}: a plain Java program, such as a
   * test's fake runtime. The container's args are appended after {@code args}.
   */
  static ContainerCommand javaMain(String classpath, String mainClass, String... args) {
    return launch -> {
      List<String> all = new ArrayList<>(List.of(args));
      if (launch.container().getArgs() != null) {
        all.addAll(launch.container().getArgs());
      }
      return java(launch, classpath + File.pathSeparator + guardLocation(), mainClass, all);
    };
  }

  /**
   * The command for the container's image: an exact match in {@code byImage}, else the longest key
   * the image starts with (so {@code "registry.example.com/shop/"} covers a whole repository), else
   * {@code otherwise}.
   */
  static ContainerCommand byImage(
      Map<String, ContainerCommand> byImage, ContainerCommand otherwise) {
    return launch -> {
      String image = launch.image();
      ContainerCommand exact = byImage.get(image);
      if (exact != null) {
        return exact.command(launch);
      }
      String best = null;
      for (String prefix : byImage.keySet()) {
        if (image.startsWith(prefix) && (best == null || prefix.length() > best.length())) {
          best = prefix;
        }
      }
      return (best == null ? otherwise : byImage.get(best)).command(launch);
    };
  }

  /** The command line of a JVM running {@code mainClass} under {@link OrphanGuard}. */
  static List<String> java(
      ContainerLaunch launch, String classpath, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + launch.heap());
    cmd.add("-Xss512k");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Djava.io.tmpdir=" + launch.tmpDir());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(OrphanGuard.class.getName());
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** The jar or directory OrphanGuard was loaded from. */
  static String guardLocation() {
    try {
      return Path.of(OrphanGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
