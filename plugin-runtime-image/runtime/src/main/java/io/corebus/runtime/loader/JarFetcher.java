package io.corebus.runtime.loader;

import io.corebus.crds.RuntimeContract;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Downloads a plug-in jar (http, https or file URL) and verifies its SHA-256 before anything else
 * reads it. A jar whose digest differs is deleted and refused. A download that failed on an
 * unreachable server or HTTP 5xx/429 after all attempts is a {@linkplain
 * PluginLoadException#transientFailure() transient} failure; HTTP 4xx, a missing file and a wrong
 * digest are not.
 */
public final class JarFetcher {
  private static final Logger LOG = Logger.getLogger(JarFetcher.class);

  private final HttpClient http;
  private final Duration timeout;
  private final int attempts;

  public JarFetcher(Duration timeout, int attempts) {
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
    this.timeout = timeout;
    this.attempts = Math.max(1, attempts);
  }

  /**
   * Fetches {@code url} into {@code dir} and returns the verified file.
   *
   * @throws PluginLoadException with reason {@code InvalidChecksum}, {@code ChecksumMismatch},
   *     {@code UnsupportedUrl} or {@code DownloadFailed}
   */
  public Path fetch(String url, String expectedSha256, Path dir) throws PluginLoadException {
    if (!Sha256.isWellFormed(expectedSha256)) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_INVALID_CHECKSUM,
          "the expected SHA-256 '"
              + expectedSha256
              + "' is not 64 lower-case hex characters; refusing to load "
              + url);
    }
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_UNSUPPORTED_URL, "invalid plug-in jar URL '" + url + "'", e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_UNSUPPORTED_URL,
          "plug-in jar URL must be http, https or file: " + url);
    }
    Path target = dir.resolve("plugin-" + expectedSha256.substring(0, 12) + ".jar");
    String actual;
    try {
      Files.createDirectories(dir);
      actual = scheme.equals("file") ? copy(uri, target) : download(uri, target);
    } catch (IOException e) {
      // A server that was unreachable or answered 5xx/429 may serve the jar later; a local file
      // that is not there needs another URL. (HTTP 4xx is thrown by download() as not transient.)
      throw new PluginLoadException(
          RuntimeContract.FAILURE_DOWNLOAD_FAILED,
          "cannot fetch the plug-in jar from " + url + ": " + e.getMessage(),
          e,
          !(e instanceof NoSuchFileException));
    }
    if (!actual.equals(expectedSha256)) {
      try {
        Files.deleteIfExists(target);
      } catch (IOException ignored) {
        // it is refused either way
      }
      throw new PluginLoadException(
          RuntimeContract.FAILURE_CHECKSUM_MISMATCH,
          "the plug-in jar from "
              + url
              + " has SHA-256 "
              + actual
              + " but the Plugin expects "
              + expectedSha256
              + "; refusing to load it");
    }
    return target;
  }

  private String copy(URI uri, Path target) throws IOException {
    Path source = Path.of(uri);
    if (!Files.isRegularFile(source)) {
      throw new NoSuchFileException(source + " (no such file)");
    }
    try (InputStream in = Files.newInputStream(source)) {
      return copyDigesting(in, target);
    }
  }

  private String download(URI uri, Path target) throws IOException, PluginLoadException {
    IOException last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        HttpResponse<InputStream> response =
            http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
          int status = response.statusCode();
          if (status == 200) {
            return copyDigesting(body, target);
          }
          if (status < 500 && status != 429) {
            throw new PluginLoadException(
                RuntimeContract.FAILURE_DOWNLOAD_FAILED,
                "GET " + uri + " answered HTTP " + status + "; not retrying");
          }
          last = new IOException("GET " + uri + " answered HTTP " + status);
        }
      } catch (IOException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while downloading " + uri, e);
      }
      if (attempt < attempts) {
        LOG.warnf("fetching %s failed (%s), retrying (%d/%d)", uri, last, attempt, attempts);
        try {
          Thread.sleep(500L * attempt);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while downloading " + uri, e);
        }
      }
    }
    throw last;
  }

  private static String copyDigesting(InputStream in, Path target) throws IOException {
    MessageDigest digest = Sha256.newDigest();
    try (InputStream digesting = new DigestInputStream(in, digest);
        OutputStream out = Files.newOutputStream(target)) {
      digesting.transferTo(out);
    }
    return Sha256.hex(digest.digest());
  }
}
