package io.corebus.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The operator's default runtime image is the image the runtime's Dockerfile builds: a rename on
 * either side would leave every jar plug-in in ImagePullBackOff.
 */
class RuntimeImageTest {
  static final Pattern TAGGED = Pattern.compile("-t\\s+([a-z0-9./_-]+):(\\S+)");

  static Path repositoryRoot() {
    Path start = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new IllegalStateException("no mvnw above " + start);
  }

  @Test
  void theDefaultRuntimeImageIsTheOneTheRuntimeDockerfileBuilds() throws IOException {
    String dockerfile =
        Files.readString(
            repositoryRoot()
                .resolve("plugin-runtime-image/runtime/src/main/docker/Dockerfile.jvm"));
    Matcher built = TAGGED.matcher(dockerfile);
    assertThat(built.find()).as("Dockerfile.jvm documents its docker build -t").isTrue();

    Properties props = new Properties();
    try (InputStream in =
        getClass().getClassLoader().getResourceAsStream("application.properties")) {
      props.load(in);
    }
    String image = props.getProperty("corebus.runtime-image");
    // The tag is the project version (resolved by Quarkus); the repository must be the same.
    assertThat(image).isEqualTo(built.group(1) + ":${quarkus.application.version}");
  }
}
