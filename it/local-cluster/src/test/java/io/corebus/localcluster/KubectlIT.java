package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Plugin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl binary against the local API server, through the kubeconfig it writes. */
class KubectlIT {

  private static final String NS = "kubectl-it";
  private static final String PLUGIN =
      """
      apiVersion: corebus.io/v1alpha1
      kind: Plugin
      metadata:
        name: greeter
        labels:
          team: hello
      spec:
        version: "%s"
        artifact:
          jar:
            url: https://repo.example.com/plugins/greeter.jar
            sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
        subscribes: [%s]
        replicas:
          min: 1
          max: 4
          desired: 1
      """;

  @TempDir static Path workDir;
  static LocalApiServer api;

  @BeforeAll
  static void start() {
    api = LocalApiServer.start(new LocalApiServer.Options().namespace(NS).parentDir(workDir));
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  @Test
  void discoveryNamesThePluginResourceAndItsShortNames() {
    String out = kubectl("api-resources", "--api-group=corebus.io");

    assertThat(out).containsPattern("plugins\\s+plg,cbp\\s+corebus.io/v1alpha1\\s+true\\s+Plugin");
    assertThat(kubectl("get", "ns")).contains(NS);
  }

  @Test
  void applyGetScaleStatusAndDeleteAPlugin() throws IOException {
    Path file = workDir.resolve("greeter.yaml");
    Files.writeString(
        file, PLUGIN.formatted("1.0.0", "shop.order.OrderPlaced, shop.order.OrderCancelled"));

    assertThat(kubectl("apply", "-f", file.toString()))
        .contains("plugin.corebus.io/greeter created");
    Files.writeString(file, PLUGIN.formatted("1.1.0", "shop.order.OrderPlaced"));
    assertThat(kubectl("apply", "-f", file.toString()))
        .contains("plugin.corebus.io/greeter configured");

    assertThat(
            kubectl(
                "get",
                "plg",
                "greeter",
                "-o",
                "jsonpath={.spec.version} {.spec.subscribes} {.metadata.generation}"))
        .isEqualTo("1.1.0 [\"shop.order.OrderPlaced\"] 2");

    assertThat(kubectl("scale", "plugin", "greeter", "--replicas=3")).contains("scaled");
    assertThat(kubectl("get", "plugin", "greeter", "-o", "jsonpath={.spec.replicas.desired}"))
        .isEqualTo("3");

    kubectl(
        "patch",
        "plugin",
        "greeter",
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"replicas\":3,\"qps\":41.5,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
            + "\"reason\":\"AllReady\",\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"}]}}");
    String table = kubectl("get", "plugins");
    List<String> lines = table.lines().toList();
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly("NAME", "READY", "VERSION", "REPLICAS", "QPS", "AGE");
    assertThat(lines.get(1).split("\\s+")).startsWith("greeter", "True", "1.1.0", "3", "41.5");
    assertThat(kubectl("get", "plugins", "-o", "wide").lines().findFirst().orElseThrow())
        .contains("READY-REPLICAS", "REASON");
    assertThat(kubectl("get", "plugins", "-l", "team in (hello,world)")).contains("greeter");
    assertThat(kubectl("get", "plugins", "-l", "team notin (hello)")).doesNotContain("greeter");

    assertThat(kubectl("delete", "plugin", "greeter")).contains("deleted");
    assertThat(api.client().resources(Plugin.class).inNamespace(NS).withName("greeter").get())
        .isNull();
  }

  @Test
  void builtInKindsApplyTwiceWithStrategicMergePatches() throws IOException {
    Path file = workDir.resolve("settings.yaml");
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          a: "1"
          b: "2"
        """);
    kubectl("apply", "-f", file.toString());
    Files.writeString(
        file,
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
        data:
          a: "1"
          c: "3"
        """);
    assertThat(kubectl("apply", "-f", file.toString())).contains("configured");

    assertThat(kubectl("get", "configmap", "settings", "-o", "jsonpath={.data}"))
        .isEqualTo("{\"a\":\"1\",\"c\":\"3\"}");
  }

  @Test
  void watchAndWaitFollowChangesAsTheyHappen() throws Exception {
    Path file = workDir.resolve("watched.yaml");
    Files.writeString(file, PLUGIN.replace("greeter", "watched").formatted("1.0.0", "a.b.C"));
    Background watch = background("get", "plugins", "--watch", "--output-watch-events");
    Background wait = null;
    try {
      kubectl("apply", "-f", file.toString());
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(watch.output()).containsPattern("ADDED\\s+watched"));
      // kubectl wait needs the object to exist; then it watches for the condition
      wait = background("wait", "--for=condition=Ready", "plugin/watched", "--timeout=60s");
      await().atMost(Duration.ofSeconds(20)).until(() -> api.httpWatches() >= 2);
      kubectl(
          "patch",
          "plugin",
          "watched",
          "--subresource=status",
          "--type=merge",
          "-p",
          "{\"status\":{\"qps\":7.5,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
              + "\"reason\":\"AllReady\",\"lastTransitionTime\":\"2025-01-01T00:00:00Z\"}]}}");

      assertThat(wait.process().waitFor(30, TimeUnit.SECONDS)).as("kubectl wait returns").isTrue();
      assertThat(wait.output()).contains("plugin.corebus.io/watched condition met");
      assertThat(wait.process().exitValue()).isZero();

      assertThat(kubectl("delete", "plugin", "watched")).contains("deleted");
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(watch.output())
                      .containsPattern("MODIFIED\\s+watched\\s+True\\s+1.0.0\\s+7.5")
                      .containsPattern("DELETED\\s+watched"));
    } finally {
      watch.process().destroy();
      if (wait != null) {
        wait.process().destroy();
      }
    }
  }

  /** A kubectl that runs on while the test goes on; its output goes to a file. */
  private record Background(Process process, Path out) {
    String output() throws IOException {
      return Files.readString(out);
    }
  }

  private static Background background(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + api.kubeconfig());
    command.addAll(List.of(args));
    Path out = Files.createTempFile(workDir, "kubectl-", ".out");
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    return new Background(p, out);
  }

  private static String kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.add("--kubeconfig=" + api.kubeconfig());
    command.add("--request-timeout=20s");
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("kubectl " + String.join(" ", args) + " hung");
      }
      assertThat(p.exitValue()).as("kubectl %s:%n%s", String.join(" ", args), out).isZero();
      return out.trim();
    } catch (IOException e) {
      throw new AssertionError("kubectl must be installed for this test: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
