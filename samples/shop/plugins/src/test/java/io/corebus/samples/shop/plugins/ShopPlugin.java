package io.corebus.samples.shop.plugins;

import io.corebus.crds.Plugin;
import io.corebus.samples.localjar.LocalJar;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** One of the shop's Plugin YAMLs, as committed in samples/shop/plugins. */
record ShopPlugin(Path file, String yaml, Plugin plugin) {
  /** Where every shop jar is published on a real cluster (the shop-plugin-jars Service). */
  static final String JAR_BASE_URL = "http://shop-plugin-jars/";

  static final Path DIR =
      Path.of(System.getProperty("corebus.samples.plugins-dir", ".")).toAbsolutePath().normalize();

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Every {@code *.yaml} in the directory, sorted by file name. */
  static List<ShopPlugin> all() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".yaml"))
          .sorted()
          .map(ShopPlugin::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ShopPlugin named(String name) {
    return all().stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no " + name + ".yaml in " + DIR));
  }

  private static ShopPlugin read(Path file) {
    try {
      String yaml = Files.readString(file);
      return new ShopPlugin(file, yaml, SERIALIZATION.unmarshal(yaml, Plugin.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String name() {
    return plugin.getMetadata().getName();
  }

  /** The annotation's value, e.g. {@code ../payment/target/payment-plugin.jar}. */
  String localJarAnnotation() {
    var annotations = plugin.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(LocalJar.ANNOTATION);
  }

  /** The built jar the annotation names. */
  Path localJar() {
    return DIR.resolve(localJarAnnotation()).normalize();
  }

  /** The URL this plug-in's jar of {@code version} is published at on a real cluster. */
  String publishedUrl(String version) {
    return JAR_BASE_URL + name() + "-plugin-" + version + ".jar";
  }
}
