package io.corebus.testplugin;

import io.corebus.plugin.Plugin;
import io.corebus.plugin.PluginContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plug-in for tests: serves {@link EchoService} and, when its configuration has a {@code
 * lifecycle-file} key, appends one line per lifecycle step to that file ({@code started 1.0.0},
 * {@code config {k=v}}, {@code stopped}), so a test in another process can watch it; with an {@code
 * executions-file} key, {@link EchoService} logs {@code once:} requests there.
 *
 * <p>For hot-swap tests a copy of the jar can carry {@value #VERSION_RESOURCE} (its version instead
 * of {@value #VERSION}) and {@value #FAIL_START_RESOURCE} (start() throws).
 */
public final class EchoPlugin implements Plugin {
  public static final String VERSION = "1.0.0";

  /** A resource whose content, when the jar has it, is the version instead of {@link #VERSION}. */
  public static final String VERSION_RESOURCE = "corebus-test-plugin/version";

  /** A resource whose presence in the jar makes start() throw. */
  public static final String FAIL_START_RESOURCE = "corebus-test-plugin/fail-start";

  private final String version = ownVersion();

  private volatile Path lifecycleFile;
  private volatile ExecutionLog executions;

  @Override
  public void start(PluginContext context) {
    if (EchoPlugin.class.getClassLoader().getResource(FAIL_START_RESOURCE) != null) {
      throw new IllegalStateException("echo " + version + " refuses to start (test jar)");
    }
    lifecycleFile = context.config().get("lifecycle-file").map(Path::of).orElse(null);
    executions =
        context.config().get("executions-file").map(Path::of).map(ExecutionLog::new).orElse(null);
    context.registerService(new EchoService(executions, version));
    context.config().onChange(config -> record("config " + new TreeMap<>(config)));
    context.logger().log(System.Logger.Level.INFO, "echo plug-in started");
    record("started " + version + " " + new TreeMap<>(withoutFile(context.config().asMap())));
  }

  @Override
  public void stop() {
    if (executions != null) {
      executions.close();
    }
    record("stopped");
  }

  @Override
  public String version() {
    return version;
  }

  private static String ownVersion() {
    try (InputStream in = EchoPlugin.class.getClassLoader().getResourceAsStream(VERSION_RESOURCE)) {
      return in == null ? VERSION : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, String> withoutFile(Map<String, String> config) {
    Map<String, String> m = new TreeMap<>(config);
    m.remove("lifecycle-file");
    m.remove("executions-file");
    return m;
  }

  private void record(String line) {
    Path file = lifecycleFile;
    if (file == null) {
      return;
    }
    try {
      Files.writeString(
          file,
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
