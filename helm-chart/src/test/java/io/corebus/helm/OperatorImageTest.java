package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's default operator image is the one operator/src/main/docker/Dockerfile.jvm builds, and
 * that image runs the way the chart's pod expects it to: a rename or a change on either side would
 * leave a fresh install in ImagePullBackOff or CreateContainerConfigError.
 */
class OperatorImageTest {
  static final Pattern TAGGED = Pattern.compile("-t\\s+([a-z0-9./_-]+):(\\S+)");
  static final Pattern USER = Pattern.compile("(?m)^USER\\s+(\\S+)\\s*$");
  static final Pattern EXPOSED = Pattern.compile("(?m)^EXPOSE\\s+(.+)$");
  static final Pattern COPIED = Pattern.compile("(?m)^COPY\\s+(?:--\\S+\\s+)*(\\S+)\\s+\\S+$");

  final Path operatorDir = RenderedChart.chartDir().getParent().getParent().resolve("operator");
  final String dockerfile = read(operatorDir.resolve("src/main/docker/Dockerfile.jvm"));
  final PodSpec pod =
      RenderedChart.render(Map.of()).one(Deployment.class).getSpec().getTemplate().getSpec();
  final Container operator = pod.getContainers().get(0);

  @Test
  void theChartsDefaultImageIsTheOneTheDockerfileBuildsTaggedWithTheAppVersion() {
    Matcher built = TAGGED.matcher(dockerfile);
    assertThat(built.find()).as("Dockerfile.jvm documents its docker build -t").isTrue();
    String appVersion = chartField("appVersion");

    assertThat(operator.getImage()).isEqualTo(built.group(1) + ":" + appVersion);
    assertThat(built.group(2)).as("the documented tag").isEqualTo(appVersion);
  }

  @Test
  void theImagesUserAndPortAreTheOnesTheChartsPodUses() {
    Matcher user = USER.matcher(dockerfile);
    String last = null;
    while (user.find()) {
      last = user.group(1);
    }
    assertThat(last).as("the image's final USER").isNotNull();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(Long.parseLong(last));

    Matcher exposed = EXPOSED.matcher(dockerfile);
    assertThat(exposed.find()).isTrue();
    assertThat(operator.getPorts())
        .extracting(p -> String.valueOf(p.getContainerPort()))
        .containsExactlyInAnyOrder(exposed.group(1).trim().split("\\s+"));
  }

  @Test
  void everythingTheDockerfileCopiesIsWhatTheOperatorsBuildProduces() {
    // The operator module is built before this one (a dependency), so its Quarkus app is there.
    Matcher copy = COPIED.matcher(dockerfile);
    int copies = 0;
    while (copy.find()) {
      copies++;
      String source = copy.group(1);
      Path dir =
          operatorDir.resolve(
              source.endsWith("*.jar") ? Path.of(source).getParent() : Path.of(source));
      assertThat(dir).as(source + " (package the operator first)").exists();
    }
    assertThat(copies).isEqualTo(4);
    assertThat(operatorDir.resolve("target/quarkus-app/quarkus-run.jar")).isRegularFile();
  }

  private String chartField(String field) {
    Matcher m =
        Pattern.compile("(?m)^" + field + ":\\s*\"?([^\"\\s]+)\"?\\s*$")
            .matcher(read(RenderedChart.chartDir().resolve("Chart.yaml")));
    assertThat(m.find()).as(field + " in Chart.yaml").isTrue();
    return m.group(1);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
  }
}
