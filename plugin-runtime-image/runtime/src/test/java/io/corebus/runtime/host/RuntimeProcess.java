package io.corebus.runtime.host;

import static org.awaitility.Awaitility.await;

import io.corebus.crds.RuntimeContract;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The packaged runtime (target/quarkus-app) started as a pod would start it: env and a port. */
final class RuntimeProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  final Process process;
  final Path log;
  final int httpPort;

  private RuntimeProcess(Process process, Path log, int httpPort) {
    this.process = process;
    this.log = log;
    this.httpPort = httpPort;
  }

  static RuntimeProcess start(String name, Map<String, String> env) throws IOException {
    Path jar = Path.of(System.getProperty("corebus.it.runtime-jar"));
    Path logDir = Files.createDirectories(jar.getParent().getParent().resolve("it-logs"));
    Path log = logDir.resolve(name + ".log");
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-jar");
    cmd.add(jar.toString());
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> e = new LinkedHashMap<>(env);
    e.put("QUARKUS_HTTP_PORT", Integer.toString(port));
    pb.environment().putAll(e);
    return new RuntimeProcess(pb.start(), log, port);
  }

  /** HTTP status of a health endpoint, or -1 when nothing answers. */
  int status(String path) {
    return get(path).statusCode;
  }

  Response get(String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Response(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, "interrupted");
    }
  }

  record Response(int statusCode, String body) {}

  int readiness() {
    return status(RuntimeContract.READINESS_PATH);
  }

  /** Waits until the readiness probe answers 200; fails at once if the process exits. */
  void awaitReady() {
    await("readiness of " + log.getFileName())
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(250))
        .failFast("the runtime exited:\n" + output(), () -> !process.isAlive())
        .until(() -> readiness() == 200);
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
