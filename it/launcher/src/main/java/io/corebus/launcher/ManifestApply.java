package io.corebus.launcher;

import io.corebus.crds.Plugin;
import io.corebus.samples.localjar.LocalJar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code ./corebus apply -f FILE|DIR}: creates or updates every object of the YAML files, Plugins
 * after the local-jar rule ({@link LocalJar}), so that the pods run the jars built here.
 */
final class ManifestApply {

  private final KubernetesClient client;
  private final String namespace;
  private final PrintStream out;

  ManifestApply(KubernetesClient client, String namespace, PrintStream out) {
    this.client = client;
    this.namespace = namespace;
    this.out = out;
  }

  /** The YAML files of a file or directory (not recursive), sorted by name. */
  static List<Path> yamlFiles(Path fileOrDir) {
    if (Files.isRegularFile(fileOrDir)) {
      return List.of(fileOrDir);
    }
    if (!Files.isDirectory(fileOrDir)) {
      throw new IllegalArgumentException(fileOrDir + ": no such file or directory");
    }
    try (Stream<Path> files = Files.list(fileOrDir)) {
      List<Path> yamls =
          files
              .filter(Files::isRegularFile)
              .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
      if (yamls.isEmpty()) {
        throw new IllegalArgumentException(fileOrDir + " holds no .yaml files");
      }
      return yamls;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Applies every document of the files; returns the names of the Plugins applied. */
  List<String> apply(Path fileOrDir) {
    List<String> plugins = new ArrayList<>();
    for (Path file : yamlFiles(fileOrDir)) {
      String text;
      try {
        text = Files.readString(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
      for (String doc : text.split("(?m)^---\\s*$")) {
        if (doc.isBlank() || doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
          continue;
        }
        GenericKubernetesResource generic = Serialization.unmarshal(doc);
        if ("Plugin".equals(generic.getKind())) {
          Plugin plugin = Serialization.unmarshal(doc, Plugin.class);
          LocalJar.Resolved resolved = LocalJar.resolve(plugin, file.toAbsolutePath().getParent());
          resolved.note().ifPresent(note -> out.println("note: " + note));
          Plugin p = resolved.plugin();
          p.getMetadata().setResourceVersion(null);
          client
              .resources(Plugin.class)
              .inNamespace(namespace)
              .resource(p)
              .createOr(NonDeletingOperation::update);
          out.println(
              "plugin/"
                  + p.getMetadata().getName()
                  + " applied"
                  + resolved.jar().map(j -> " (local jar " + j + ")").orElse(""));
          plugins.add(p.getMetadata().getName());
        } else {
          generic.getMetadata().setResourceVersion(null);
          client.resource(generic).inNamespace(namespace).createOr(NonDeletingOperation::update);
          out.println(
              generic.getKind().toLowerCase() + "/" + generic.getMetadata().getName() + " applied");
        }
      }
    }
    return plugins;
  }
}
