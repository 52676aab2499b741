package io.corebus.crds.validation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A Plugin YAML used as a test case. An invalid one says in its header what the API server must
 * answer, one line per expected error, written the way kubectl prints it:
 *
 * <pre>
 * # expect: spec.replicas.min: replicas.min must not be greater than replicas.max
 * </pre>
 *
 * The part before the first {@code ": "} is the field; the rest is a fragment of the message.
 */
public record PluginFixture(String name, String yaml, List<Expectation> expectations) {

  private static final String EXPECT = "# expect: ";

  /** One error the API server must report: its field, and a fragment of its message. */
  public record Expectation(String field, String messageFragment) {
    public boolean matches(Violation v) {
      return v.field().equals(field) && v.toString().contains(messageFragment);
    }

    @Override
    public String toString() {
      return field + ": " + messageFragment;
    }
  }

  /** Every *.yaml file under a classpath directory, such as {@code plugins/invalid}. */
  public static List<PluginFixture> under(String classpathDirectory) {
    return under(classpathDirectory, PluginFixture.class.getClassLoader());
  }

  /**
   * Every *.yaml file under a directory of {@code loader}'s classpath, in a directory or a jar
   * (such as the crds test-jar).
   */
  public static List<PluginFixture> under(String classpathDirectory, ClassLoader loader) {
    URL url = loader.getResource(classpathDirectory);
    if (url == null) {
      throw new IllegalArgumentException(classpathDirectory + " is not on the classpath");
    }
    try {
      URI uri = url.toURI();
      if (!uri.getScheme().equals("jar")) {
        return readAll(Path.of(uri));
      }
      try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
        return readAll(jar.getPath(classpathDirectory));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static List<PluginFixture> readAll(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".yaml"))
          .sorted()
          .map(PluginFixture::read)
          .toList();
    }
  }

  public static PluginFixture read(Path file) {
    try {
      String yaml = Files.readString(file);
      List<Expectation> expectations = new ArrayList<>();
      yaml.lines()
          .filter(line -> line.startsWith(EXPECT))
          .map(line -> line.substring(EXPECT.length()))
          .forEach(
              e -> {
                int colon = e.indexOf(": ");
                if (colon < 0) {
                  throw new IllegalArgumentException(
                      file + ": an expect line needs '<field>: <message fragment>': " + e);
                }
                expectations.add(new Expectation(e.substring(0, colon), e.substring(colon + 2)));
              });
      return new PluginFixture(file.getFileName().toString(), yaml, List.copyOf(expectations));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
