package io.corebus.localcluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One of several operator processes that elect a leader through the Lease, as the replicas of the
 * chart's Deployment do ({@link LocalCluster.Options#operatorReplicas}). Its identity in the Lease
 * is its {@code HOSTNAME}, as a pod's name is in Kubernetes.
 */
public final class OperatorReplica {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private final String identity;
  private final Process process;
  private final int httpPort;
  private final Path log;

  OperatorReplica(String identity, Process process, int httpPort, Path log) {
    this.identity = identity;
    this.process = process;
    this.httpPort = httpPort;
    this.log = log;
  }

  /** The name it holds the Lease under (its HOSTNAME). */
  public String identity() {
    return identity;
  }

  Process process() {
    return process;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Its HTTP port on 127.0.0.1, where the chart's probes ask {@code /q/health/*}. */
  public int httpPort() {
    return httpPort;
  }

  /** Its output (stdout and stderr). */
  public Path log() {
    return log;
  }

  /**
   * The HTTP status of {@code /q/health/<check>} ({@code started}, {@code live}, {@code ready}), as
   * a kubelet's httpGet probe sees it (200-399 passes); -1 when nothing answers within 3 s, the
   * chart's timeoutSeconds.
   */
  public int probe(String check) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + httpPort + "/q/health/" + check))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** SIGKILL, as when its node dies: no shutdown hook runs, the Lease is not released. */
  public void kill() {
    KubeletPod.signal(process, true);
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, then SIGKILL after {@code grace}. */
  void stop(Duration grace) {
    LocalCluster.stopProcess(process, grace);
  }

  @Override
  public String toString() {
    return identity + " (pid " + process.pid() + ", port " + httpPort + ", log " + log + ")";
  }
}
