package io.corebus.localcluster;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** The test programs (FakeRuntime, FakeOperator) as the kubelet and LocalCluster run them. */
final class TestPrograms {
  private TestPrograms() {}

  /** This module's test classes directory. */
  static String testClasses() {
    try {
      return Path.of(FakeRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every pod runs {@link FakeRuntime}, whatever its image. */
  static ContainerCommand fakeRuntime() {
    return ContainerCommand.javaMain(testClasses(), FakeRuntime.class.getName());
  }

  /**
   * A jar that runs {@link FakeOperator}, as the operator's quarkus-run.jar would run the operator:
   * a manifest with Main-Class and a Class-Path naming the test's classpath.
   */
  static Path fakeOperatorJar(Path dir) {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> urls = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        urls.add(Path.of(entry).toAbsolutePath().toUri().toString());
      }
    }
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(Attributes.Name.MAIN_CLASS, FakeOperator.class.getName());
    main.put(Attributes.Name.CLASS_PATH, String.join(" ", urls));
    try {
      Files.createDirectories(dir);
      Path jar = dir.resolve("fake-operator.jar");
      try (OutputStream out = Files.newOutputStream(jar);
          JarOutputStream ignored = new JarOutputStream(out, manifest)) {
        // the manifest is all it needs
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
