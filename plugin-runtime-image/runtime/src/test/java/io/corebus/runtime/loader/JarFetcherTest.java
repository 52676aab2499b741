package io.corebus.runtime.loader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarFetcherTest {
  @TempDir Path tmp;
  private final JarFetcher fetcher = new JarFetcher(Duration.ofSeconds(5), 2);
  private HttpServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  private Path jarWith(String content) throws Exception {
    Path jar = tmp.resolve("source.jar");
    Files.writeString(jar, content);
    return jar;
  }

  @Test
  void aFileWhoseDigestMatchesIsFetched() throws Exception {
    Path source = jarWith("plug-in bytes");
    String sha = Sha256.of(source);

    Path fetched = fetcher.fetch(source.toUri().toString(), sha, tmp.resolve("download"));

    assertThat(fetched).hasContent("plug-in bytes");
    assertThat(Sha256.of(fetched)).isEqualTo(sha);
  }

  @Test
  void aDigestMismatchIsRefusedAndTheDownloadDeleted() throws Exception {
    Path source = jarWith("tampered bytes");
    String actual = Sha256.of(source);
    String expected = "0".repeat(64);

    assertThatThrownBy(
            () -> fetcher.fetch(source.toUri().toString(), expected, tmp.resolve("download")))
        .isInstanceOf(PluginLoadException.class)
        .hasMessageContaining("has SHA-256 " + actual)
        .hasMessageContaining("expects " + expected)
        .hasMessageContaining("refusing to load")
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("ChecksumMismatch");
    try (var files = Files.list(tmp.resolve("download"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aMalformedExpectedDigestIsRefusedBeforeDownloading() throws Exception {
    Path source = jarWith("x");
    assertThatThrownBy(() -> fetcher.fetch(source.toUri().toString(), "ABC", tmp))
        .hasMessageContaining("not 64 lower-case hex characters")
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("InvalidChecksum");
  }

  @Test
  void httpDownloadsAreVerifiedAndServerErrorsRetried() throws Exception {
    byte[] body = "jar over http".getBytes();
    AtomicInteger requests = new AtomicInteger();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/plugin.jar",
        exchange -> {
          if (requests.incrementAndGet() == 1) {
            exchange.sendResponseHeaders(503, -1);
          } else {
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
          }
          exchange.close();
        });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/plugin.jar";
    String sha = Sha256.hex(Sha256.newDigest().digest(body));

    Path fetched = fetcher.fetch(url, sha, tmp.resolve("download"));

    assertThat(fetched).hasBinaryContent(body);
    assertThat(requests).hasValue(2);
  }

  @Test
  void onlyAnUnavailableOrUnreachableServerIsATransientFailure() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/busy.jar",
        exchange -> {
          exchange.sendResponseHeaders(503, -1);
          exchange.close();
        });
    server.createContext(
        "/gone.jar",
        exchange -> {
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
        });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    String sha = "a".repeat(64);
    Path dir = tmp.resolve("download");

    assertThat(failureOf(base + "/busy.jar", sha, dir))
        .satisfies(e -> assertThat(e.reason()).isEqualTo("DownloadFailed"))
        .satisfies(e -> assertThat(e.getMessage()).contains("HTTP 503"))
        .satisfies(e -> assertThat(e.transientFailure()).as("503 is transient").isTrue());
    assertThat(failureOf(base + "/gone.jar", sha, dir))
        .satisfies(e -> assertThat(e.reason()).isEqualTo("DownloadFailed"))
        .satisfies(e -> assertThat(e.transientFailure()).as("404 is not transient").isFalse());
    server.stop(0);
    server = null;
    assertThat(failureOf(base + "/busy.jar", sha, dir).transientFailure())
        .as("a server that is not reachable is transient")
        .isTrue();
    assertThat(failureOf(tmp.resolve("nope.jar").toUri().toString(), sha, dir).transientFailure())
        .as("a missing file is not transient")
        .isFalse();
    Path jar = jarWith("real content");
    PluginLoadException mismatch = failureOf(jar.toUri().toString(), sha, dir);
    assertThat(mismatch.reason()).isEqualTo("ChecksumMismatch");
    assertThat(mismatch.transientFailure()).isFalse();
  }

  private PluginLoadException failureOf(String url, String sha, Path dir) {
    try {
      fetcher.fetch(url, sha, dir);
    } catch (PluginLoadException e) {
      return e;
    }
    throw new AssertionError("fetching " + url + " did not fail");
  }

  @Test
  void aMissingJarIsAClearDownloadFailure() {
    String sha = "a".repeat(64);
    assertThatThrownBy(() -> fetcher.fetch(tmp.resolve("nope.jar").toUri().toString(), sha, tmp))
        .hasMessageContaining("cannot fetch the plug-in jar")
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("DownloadFailed");
    assertThatThrownBy(() -> fetcher.fetch("ftp://example/p.jar", sha, tmp))
        .extracting(e -> ((PluginLoadException) e).reason())
        .isEqualTo("UnsupportedUrl");
  }
}
