package io.corebus.benchmarks;

import io.corebus.crds.RuntimeContract;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged plugin runtime hosting the Echo test plug-in, started as a pod would start it. */
final class CalleeProcess implements AutoCloseable {
  final Process process;
  final int httpPort;
  final int grpcPort;
  final Path log;

  private CalleeProcess(Process process, int httpPort, int grpcPort, Path log) {
    this.process = process;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.log = log;
  }

  static CalleeProcess start(
      Path runtimeJar,
      Path pluginJar,
      String namespace,
      String service,
      String requestTopic,
      String bootstrap,
      Path workDir)
      throws IOException {
    int http = freePort();
    int grpc = freePort();
    Path log = workDir.resolve("callee.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-XX:+UseSerialGC",
                    "-jar",
                    runtimeJar.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put(RuntimeContract.ENV_PLUGIN_NAME, "echo");
    env.put(RuntimeContract.ENV_NAMESPACE, namespace);
    env.put(RuntimeContract.ENV_POD_NAME, "echo-0");
    env.put(RuntimeContract.ENV_JAR_URL, pluginJar.toUri().toString());
    env.put(RuntimeContract.ENV_JAR_SHA256, sha256(pluginJar));
    env.put(RuntimeContract.ENV_PROVIDES, service);
    env.put(RuntimeContract.ENV_REQUEST_TOPICS, service + "=" + requestTopic);
    env.put(RuntimeContract.ENV_KAFKA_BOOTSTRAP, bootstrap);
    env.put(RuntimeContract.ENV_CONFIG_DIR, workDir.resolve("config").toString());
    env.put("COREBUS_TERMINATION_MESSAGE_PATH", workDir.resolve("termination-log").toString());
    env.put("COREBUS_DOWNLOAD_DIR", workDir.resolve("download").toString());
    env.put("COREBUS_GRPC_PORT", Integer.toString(grpc));
    env.put("QUARKUS_HTTP_PORT", Integer.toString(http));
    return new CalleeProcess(pb.start(), http, grpc, log);
  }

  void awaitReady(Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the callee runtime exited:\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + RuntimeContract.READINESS_PATH))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "the callee runtime was not ready within " + timeout + ":\n" + Files.readString(log));
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
