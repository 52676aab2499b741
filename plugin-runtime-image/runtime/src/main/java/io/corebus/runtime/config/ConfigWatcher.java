package io.corebus.runtime.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Polls a {@link ConfigDirectory} and hands changes to a {@link LivePluginConfig}. Polling (not a
 * WatchService) because the kubelet's symlink swap does not reliably produce events for the watched
 * directory's entries, and a poll every couple of seconds costs nothing.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ConfigWatcher.class);

  private final Path dir;
  private final LivePluginConfig config;
  private final ScheduledExecutorService scheduler;
  private volatile String lastError;

  public ConfigWatcher(Path dir, LivePluginConfig config, Duration interval) {
    this.dir = dir;
    this.config = config;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "corebus-config-watcher");
              t.setDaemon(true);
              return t;
            });
    scheduler.scheduleWithFixedDelay(
        this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads the directory once and passes a change on. Also called by the schedule. */
  public void poll() {
    try {
      if (config.update(ConfigDirectory.read(dir))) {
        LOG.infof("configuration in %s changed: keys %s", dir, config.asMap().keySet());
      }
      lastError = null;
    } catch (IOException | RuntimeException e) {
      // A read can race with the kubelet removing an old version: the next poll sees the new one.
      String error = e.toString();
      if (!error.equals(lastError)) {
        LOG.warnf("cannot read configuration in %s: %s", dir, error);
      }
      lastError = error;
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
