package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * One run of a container probe against the pod's address: {@code httpGet} (HTTP only; status
 * 200-399 passes), {@code tcpSocket} and {@code grpc} (a TCP connect: there is no gRPC health
 * client here). {@code exec} probes cannot run without the container's file system: they pass, with
 * a warning.
 */
final class ProbeCheck {

  private static final Logger LOG = Logger.getLogger(ProbeCheck.class.getName());
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(1))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /** The outcome; the message says why a probe failed. */
  record Result(boolean success, String message) {}

  private ProbeCheck() {}

  static Result run(Probe probe, Container container, String podIp) {
    Duration timeout =
        Duration.ofSeconds(
            probe.getTimeoutSeconds() == null ? 1 : Math.max(1, probe.getTimeoutSeconds()));
    try {
      if (probe.getHttpGet() != null) {
        var get = probe.getHttpGet();
        if ("HTTPS".equalsIgnoreCase(get.getScheme())) {
          return new Result(false, "HTTPS probes are not supported by the process kubelet");
        }
        String host = get.getHost() == null || get.getHost().isBlank() ? podIp : get.getHost();
        int port = port(get.getPort(), container);
        String path = get.getPath() == null ? "/" : get.getPath();
        HttpRequest.Builder request =
            HttpRequest.newBuilder(
                    URI.create(
                        "http://" + host + ":" + port + (path.startsWith("/") ? path : "/" + path)))
                .timeout(timeout)
                .GET();
        if (get.getHttpHeaders() != null) {
          get.getHttpHeaders().forEach(h -> request.header(h.getName(), h.getValue()));
        }
        HttpResponse<Void> response =
            HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding());
        int code = response.statusCode();
        return code >= 200 && code < 400
            ? new Result(true, "")
            : new Result(false, "HTTP probe failed with statuscode: " + code);
      }
      if (probe.getTcpSocket() != null || probe.getGrpc() != null) {
        String host =
            probe.getTcpSocket() != null && probe.getTcpSocket().getHost() != null
                ? probe.getTcpSocket().getHost()
                : podIp;
        int port =
            probe.getTcpSocket() != null
                ? port(probe.getTcpSocket().getPort(), container)
                : probe.getGrpc().getPort();
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        }
        return new Result(true, "");
      }
      if (probe.getExec() != null) {
        LOG.warning(
            "exec probes cannot run in the process kubelet; container "
                + container.getName()
                + " passes it");
        return new Result(true, "");
      }
      return new Result(false, "probe has no handler");
    } catch (IOException e) {
      return new Result(false, "probe failed: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, "interrupted");
    } catch (RuntimeException e) {
      return new Result(false, "probe failed: " + e.getMessage());
    }
  }

  /** A probe port: a number, or the name of one of the container's ports. */
  static int port(IntOrString port, Container container) {
    if (port == null) {
      throw new IllegalArgumentException("probe has no port");
    }
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    String name = port.getStrVal();
    if (container.getPorts() != null) {
      for (ContainerPort p : container.getPorts()) {
        if (name.equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("no container port named " + name);
    }
  }
}
