package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process kubelet against the local API server, with {@link FakeRuntime} as every container.
 */
class ProcessKubeletIT {

  private static final String NS = "kubelet-it";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir static Path workDir;
  static Path markers;
  static LocalApiServer api;
  static ProcessKubelet kubelet;
  static KubernetesClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    markers = Files.createDirectories(workDir.resolve("markers"));
    api = LocalApiServer.start(new LocalApiServer.Options().namespace(NS).parentDir(workDir));
    client = api.client();
    String testClasses =
        Path.of(FakeRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    kubelet =
        ProcessKubelet.start(
            client,
            new ProcessKubelet.Options()
                .workDir(workDir.resolve("kubelet"))
                .command(ContainerCommand.javaMain(testClasses, FakeRuntime.class.getName()))
                .defaultHeap("32m")
                .restartBackoff(Duration.ofMillis(500), Duration.ofSeconds(2)));
    api.servePodLogs(kubelet.logSource());
  }

  @AfterAll
  static void stopCluster() {
    if (kubelet != null) {
      kubelet.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void aPodBecomesRunningAndReadyOnItsOwnLoopbackAddress() throws Exception {
    create(pod("ready-1", "serve", 30));

    Pod pod = awaitReady("ready-1");

    assertThat(pod.getSpec().getNodeName()).isEqualTo(ProcessKubelet.DEFAULT_NODE_NAME);
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getPodIP())
        .matches("127\\.0\\.\\d+\\.\\d+")
        .isNotEqualTo("127.0.0.1");
    assertThat(pod.getStatus().getHostIP()).isEqualTo("127.0.0.1");
    assertThat(pod.getStatus().getStartTime()).isNotBlank();
    ContainerStatus container = pod.getStatus().getContainerStatuses().get(0);
    assertThat(container.getReady()).isTrue();
    assertThat(container.getState().getRunning().getStartedAt()).isNotBlank();
    assertThat(get(pod.getStatus().getPodIP(), "/q/health/ready")).isEqualTo("UP ready-1");
    assertThat(kubelet.logs(NS, "ready-1")).contains("listening on " + pod.getStatus().getPodIP());
    assertThat(client.pods().inNamespace(NS).withName("ready-1").getLog())
        .as("pods/log, as kubectl logs reads it")
        .contains("listening on " + pod.getStatus().getPodIP());
  }

  @Test
  void twoPodsGetDifferentAddressesAndTheSamePort() throws Exception {
    create(pod("twin-a", "serve", 30));
    create(pod("twin-b", "serve", 30));

    String a = awaitReady("twin-a").getStatus().getPodIP();
    String b = awaitReady("twin-b").getStatus().getPodIP();

    assertThat(a).isNotEqualTo(b);
    assertThat(get(a, "/q/health/ready")).isEqualTo("UP twin-a");
    assertThat(get(b, "/q/health/ready")).isEqualTo("UP twin-b");
  }

  @Test
  void deletingAPodSendsSigtermAndItExitsWithinTheGracePeriod() throws Exception {
    create(pod("graceful", "serve", 30));
    long pid = pid(awaitReady("graceful"));

    long start = System.nanoTime();
    client.pods().inNamespace(NS).withName("graceful").delete();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Files.exists(markers.resolve("sigterm-graceful")));
    await().atMost(Duration.ofSeconds(20)).until(() -> podGone("graceful"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(Optional.of(true));
    assertThat(kubelet.logs(NS, "graceful"))
        .as("a plain SIGTERM: stdin stays open, so OrphanGuard does not cut the drain short")
        .contains("got SIGTERM")
        .doesNotContain("parent process is gone");
  }

  @Test
  void aProgramThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
    // A grace period long enough that the pod is surely still there once the SIGTERM is seen.
    create(pod("stubborn", "ignore-sigterm", 8));
    long pid = pid(awaitReady("stubborn"));

    long start = System.nanoTime();
    client.pods().inNamespace(NS).withName("stubborn").delete();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(markers.resolve("sigterm-stubborn")));
    Pod terminating = client.pods().inNamespace(NS).withName("stubborn").get();
    assertThat(terminating).as("the pod object stays while its process shuts down").isNotNull();
    assertThat(terminating.getMetadata().getDeletionTimestamp()).isNotNull();
    await().atMost(Duration.ofSeconds(25)).until(() -> podGone("stubborn"));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(8));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void aCrashingContainerWithRestartPolicyAlwaysIsRestarted() {
    create(pod("crasher", "crash", 30));

    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              ContainerStatus s = status("crasher");
              assertThat(s).isNotNull();
              assertThat(s.getRestartCount()).isGreaterThanOrEqualTo(2);
              assertThat(s.getLastState().getTerminated().getExitCode()).isEqualTo(3);
            });
    assertThat(kubelet.logs(NS, "crasher")).containsPattern("(?s)crashing.*crashing");
  }

  @Test
  void restartPolicyNeverEndsInSucceededOrFailed() {
    Pod ok = pod("once-ok", "exit0", 30);
    ok.getSpec().setRestartPolicy("Never");
    Pod bad = pod("once-bad", "crash", 30);
    bad.getSpec().setRestartPolicy("Never");
    // the program writes its last words where the container's terminationMessagePath says
    bad.getSpec().getContainers().get(0).setTerminationMessagePath("/dev/termination-log");
    bad.getSpec()
        .getContainers()
        .get(0)
        .getEnv()
        .add(new EnvVar("TERMINATION_FILE", "/dev/termination-log", null));
    create(ok);
    create(bad);

    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(phase("once-ok")));
    await().atMost(Duration.ofSeconds(30)).until(() -> "Failed".equals(phase("once-bad")));
    assertThat(status("once-bad").getRestartCount()).isZero();
    assertThat(status("once-bad").getState().getTerminated().getExitCode()).isEqualTo(3);
    assertThat(status("once-bad").getState().getTerminated().getMessage())
        .isEqualTo("crashed on purpose");
  }

  @Test
  void aFailingLivenessProbeRestartsTheContainer() {
    Pod pod = pod("zombie", "dead", 2);
    pod.getSpec()
        .getContainers()
        .get(0)
        .setLivenessProbe(
            new io.fabric8.kubernetes.api.model.ProbeBuilder()
                .withNewHttpGet()
                .withPath(RuntimeContract.LIVENESS_PATH)
                .withNewPort(RuntimeContract.HTTP_PORT)
                .endHttpGet()
                .withPeriodSeconds(1)
                .withFailureThreshold(2)
                .build());
    create(pod);

    await()
        .atMost(Duration.ofSeconds(40))
        .untilAsserted(
            () -> {
              ContainerStatus s = status("zombie");
              assertThat(s.getRestartCount()).isGreaterThanOrEqualTo(1);
              assertThat(s.getLastState().getTerminated().getMessage())
                  .startsWith("Liveness probe failed");
            });
  }

  @Test
  void envFromTheDownwardApiAndConfigMapVolumesAreMaterialised() throws Exception {
    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("shop-config")
                .endMetadata()
                .addToData("greeting", "hello")
                .addToData("currency", "EUR")
                .build())
        .create();
    Pod pod = pod("configured", "serve", 30);
    var container = pod.getSpec().getContainers().get(0);
    container
        .getEnv()
        .addAll(
            List.of(
                fieldRef(RuntimeContract.ENV_POD_NAME, "metadata.name"),
                fieldRef(RuntimeContract.ENV_NAMESPACE, "metadata.namespace"),
                fieldRef(RuntimeContract.ENV_POD_IP, "status.podIP"),
                new EnvVarBuilder()
                    .withName("CURRENCY")
                    .withNewValueFrom()
                    .withNewConfigMapKeyRef("currency", "shop-config", false)
                    .endValueFrom()
                    .build(),
                new EnvVar(RuntimeContract.ENV_CONFIG_DIR, RuntimeContract.CONFIG_MOUNT_PATH, null),
                new EnvVar("GREETING_FILE", RuntimeContract.CONFIG_MOUNT_PATH + "/greeting", null),
                new EnvVar("LABEL", "$(" + RuntimeContract.ENV_POD_NAME + ")-x", null)));
    container.setVolumeMounts(
        List.of(
            new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("config")
                .withMountPath(RuntimeContract.CONFIG_MOUNT_PATH)
                .withReadOnly(true)
                .build()));
    pod.getSpec()
        .setVolumes(
            List.of(
                new io.fabric8.kubernetes.api.model.VolumeBuilder()
                    .withName("config")
                    .withNewConfigMap()
                    .withName("shop-config")
                    .endConfigMap()
                    .build()));
    create(pod);
    String ip = awaitReady("configured").getStatus().getPodIP();

    Map<String, String> env = parseEnv(get(ip, "/env"));
    assertThat(env)
        .containsEntry(RuntimeContract.ENV_POD_NAME, "configured")
        .containsEntry(RuntimeContract.ENV_NAMESPACE, NS)
        .containsEntry(RuntimeContract.ENV_POD_IP, ip)
        .containsEntry("QUARKUS_HTTP_HOST", ip)
        .containsEntry("QUARKUS_GRPC_SERVER_HOST", ip)
        .containsEntry("CURRENCY", "EUR")
        .containsEntry("LABEL", "configured-x");
    Path configDir = Path.of(env.get(RuntimeContract.ENV_CONFIG_DIR));
    assertThat(configDir.toString()).isNotEqualTo(RuntimeContract.CONFIG_MOUNT_PATH);
    assertThat(configDir).startsWith(kubelet.workDir());
    assertThat(env.get("GREETING_FILE")).isEqualTo(configDir.resolve("greeting").toString());
    assertThat(Files.isSymbolicLink(configDir.resolve("..data"))).isTrue();
    assertThat(
            get(
                ip,
                "/file?path="
                    + URLEncoder.encode(env.get("GREETING_FILE"), StandardCharsets.UTF_8)))
        .isEqualTo("hello");

    client
        .configMaps()
        .inNamespace(NS)
        .withName("shop-config")
        .edit(cm -> new ConfigMapBuilder(cm).addToData("greeting", "bonjour").build());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        get(
                            ip,
                            "/file?path="
                                + URLEncoder.encode(
                                    env.get("GREETING_FILE"), StandardCharsets.UTF_8)))
                    .isEqualTo("bonjour"));
    assertThat(Files.readString(configDir.resolve("currency"))).isEqualTo("EUR");
  }

  @Test
  void aMissingConfigMapKeepsTheContainerWaitingWithAClearReason() {
    Pod pod = pod("unconfigured", "serve", 30);
    pod.getSpec()
        .getContainers()
        .get(0)
        .getEnv()
        .add(
            new EnvVarBuilder()
                .withName("X")
                .withNewValueFrom()
                .withNewConfigMapKeyRef("x", "no-such-config", false)
                .endValueFrom()
                .build());
    create(pod);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              ContainerStatus s = status("unconfigured");
              assertThat(s.getState().getWaiting().getReason())
                  .isEqualTo("CreateContainerConfigError");
              assertThat(s.getState().getWaiting().getMessage()).contains("no-such-config");
            });

    client
        .configMaps()
        .inNamespace(NS)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("no-such-config")
                .endMetadata()
                .addToData("x", "1")
                .build())
        .create();
    awaitReady("unconfigured");
  }

  // --- helpers -------------------------------------------------------------------------------

  private static Pod pod(String name, String mode, long graceSeconds) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(NS)
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .withTerminationGracePeriodSeconds(graceSeconds)
        .addNewContainer()
        .withName(RuntimeContract.CONTAINER_NAME)
        .withImage("corebus/fake-runtime:test")
        .withEnv(
            new ArrayList<>(
                List.of(
                    new EnvVar("FAKE_MODE", mode, null),
                    new EnvVar("FAKE_MARKER_DIR", markers.toString(), null))))
        .addNewPort()
        .withName("http")
        .withContainerPort(RuntimeContract.HTTP_PORT)
        .endPort()
        .withNewReadinessProbe()
        .withNewHttpGet()
        .withPath(RuntimeContract.READINESS_PATH)
        .withNewPort("http")
        .endHttpGet()
        .withPeriodSeconds(10)
        .endReadinessProbe()
        .endContainer()
        .endSpec()
        .build();
  }

  private static EnvVar fieldRef(String name, String path) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(path)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static void create(Pod pod) {
    client.pods().inNamespace(NS).resource(pod).create();
  }

  private static Pod awaitReady(String name) {
    await()
        .atMost(Duration.ofSeconds(40))
        .until(
            () -> {
              Pod p = client.pods().inNamespace(NS).withName(name).get();
              return p != null
                  && p.getStatus() != null
                  && p.getStatus().getConditions() != null
                  && p.getStatus().getConditions().stream()
                      .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
    Pod pod = client.pods().inNamespace(NS).withName(name).get();
    PodCondition ready =
        pod.getStatus().getConditions().stream()
            .filter(c -> c.getType().equals("Ready"))
            .findFirst()
            .orElseThrow();
    assertThat(ready.getLastTransitionTime()).isNotBlank();
    return pod;
  }

  private static ContainerStatus status(String name) {
    Pod p = client.pods().inNamespace(NS).withName(name).get();
    if (p == null || p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return null;
    }
    return p.getStatus().getContainerStatuses().get(0);
  }

  private static String phase(String name) {
    Pod p = client.pods().inNamespace(NS).withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  private static boolean podGone(String name) {
    return client.pods().inNamespace(NS).withName(name).get() == null;
  }

  private static long pid(Pod pod) {
    String id = pod.getStatus().getContainerStatuses().get(0).getContainerID();
    assertThat(id).startsWith("local://");
    return Long.parseLong(id.substring("local://".length()));
  }

  private static String get(String ip, String path) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://" + ip + ":8080" + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return response.body();
  }

  private static Map<String, String> parseEnv(String text) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }
}
