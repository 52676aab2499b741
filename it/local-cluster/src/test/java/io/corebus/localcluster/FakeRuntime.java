package io.corebus.localcluster;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stands in for the plugin runtime in kubelet tests: serves {@code /q/health/ready} and {@code
 * /q/health/live} on {@code $QUARKUS_HTTP_HOST:8080}, shows its environment at {@code /env} and a
 * file at {@code /file?path=...}, and writes {@code $FAKE_MARKER_DIR/sigterm-<pod>} when it gets
 * SIGTERM.
 *
 * <p>{@code FAKE_MODE}: {@code serve} (default) exits on SIGTERM; {@code ignore-sigterm} never
 * exits on SIGTERM; {@code crash} exits with 3 after 200 ms; {@code exit0} exits with 0 at once;
 * {@code dead} serves readiness but fails liveness.
 */
public final class FakeRuntime {
  private FakeRuntime() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    String mode = env.getOrDefault("FAKE_MODE", "serve");
    String pod = env.getOrDefault("HOSTNAME", "unknown");
    System.out.println("fake runtime " + pod + " starting in mode " + mode);
    if (mode.equals("crash")) {
      Thread.sleep(200);
      System.out.println("crashing");
      String termination = env.get("TERMINATION_FILE");
      if (termination != null) {
        Files.writeString(Path.of(termination), "crashed on purpose");
      }
      System.exit(3);
    }
    if (mode.equals("exit0")) {
      System.out.println("done");
      System.exit(0);
    }
    String host = env.get("QUARKUS_HTTP_HOST");
    HttpServer server = HttpServer.create(new InetSocketAddress(host, 8080), 0);
    server.createContext("/q/health/ready", ex -> reply(ex, 200, "UP " + pod));
    server.createContext("/q/health/live", ex -> reply(ex, mode.equals("dead") ? 503 : 200, mode));
    server.createContext(
        "/env",
        ex -> {
          StringBuilder b = new StringBuilder();
          new TreeMap<>(System.getenv())
              .forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
          reply(ex, 200, b.toString());
        });
    server.createContext(
        "/file",
        ex -> {
          String query = ex.getRequestURI().getRawQuery();
          Path path =
              Path.of(URLDecoder.decode(query.substring("path=".length()), StandardCharsets.UTF_8));
          if (Files.isRegularFile(path)) {
            reply(ex, 200, Files.readString(path));
          } else {
            reply(ex, 404, "no file " + path);
          }
        });
    server.start();
    System.out.println("listening on " + host + ":8080");
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  String dir = env.get("FAKE_MARKER_DIR");
                  if (dir != null) {
                    try {
                      Files.writeString(Path.of(dir, "sigterm-" + pod), "SIGTERM");
                    } catch (IOException e) {
                      e.printStackTrace();
                    }
                  }
                  System.out.println("got SIGTERM");
                  if (mode.equals("ignore-sigterm")) {
                    try {
                      Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                  server.stop(0);
                }));
    Thread.currentThread().join();
  }

  private static void reply(HttpExchange ex, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
