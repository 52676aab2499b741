package io.corebus.runtime.host;

import io.corebus.plugin.Plugin;
import io.corebus.runtime.bus.EventBus;
import io.corebus.runtime.bus.RpcServer;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.runtime.bus.ServiceRegistry;
import io.corebus.runtime.config.ConfigWatcher;
import io.corebus.runtime.config.LivePluginConfig;
import io.corebus.runtime.loader.PluginClassLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One loaded version of the plug-in: its class loader, its instance, and what it registered
 * (services, event handlers), plus a count of the calls and events it is handling. A hot swap
 * starts a second one next to the first, switches dispatch to it, drains and retires the first.
 *
 * <p>Dispatch and retirement meet in {@link #enter()} / {@link #retire()}: a dispatcher counts a
 * record in before it checks the retired flag, the swap sets the flag before it waits for the count
 * to reach zero, so no record can slip into a version that is being stopped.
 */
final class LoadedPlugin {
  final PluginClassLoader loader;
  final Plugin plugin;
  final RuntimeIdentity identity;

  /** The SHA-256 of the jar, or null for a plug-in from the image's directory. */
  final String sha256;

  final Path jar;
  final ServiceRegistry services;
  final EventBus events;
  final LivePluginConfig config;
  RpcServer server;
  ConfigWatcher configWatcher;

  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean retired;
  // Completes when the version is retired and its last record is counted out.
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  LoadedPlugin(
      PluginClassLoader loader,
      Plugin plugin,
      RuntimeIdentity identity,
      String sha256,
      Path jar,
      ServiceRegistry services,
      EventBus events,
      LivePluginConfig config) {
    this.loader = loader;
    this.plugin = plugin;
    this.identity = identity;
    this.sha256 = sha256;
    this.jar = jar;
    this.services = services;
    this.events = events;
    this.config = config;
  }

  /** Counts a record in; false (and not counted) when this version is retired. */
  boolean enter() {
    inFlight.incrementAndGet();
    if (retired) {
      exit();
      return false;
    }
    return true;
  }

  /** Runs a handler on a record counted in by {@link #enter()}; counts it out when done. */
  CompletableFuture<?> handle(Function<LoadedPlugin, CompletableFuture<?>> handler) {
    CompletableFuture<?> done;
    try {
      done = handler.apply(this);
    } catch (RuntimeException e) {
      exit();
      throw e;
    }
    return done.whenComplete((v, e) -> exit());
  }

  /** Counts out a record (or direct call) counted in by {@link #enter()}. */
  void exit() {
    // retire() sets the flag before it reads the count, and this reads the flag after it counted
    // out: whichever comes second sees zero and a retired version, so the drain is never missed.
    if (inFlight.decrementAndGet() == 0 && retired) {
      drained.complete(null);
    }
  }

  int inFlight() {
    return inFlight.get();
  }

  /** No new records from now on. */
  void retire() {
    retired = true;
    if (inFlight.get() == 0) {
      drained.complete(null);
    }
  }

  /**
   * After {@link #retire()}, waits until the records it handles are done; false when {@code
   * timeout} passed first.
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    try {
      drained.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the drain never fails", e);
    }
  }

  /** Runs tasks of this version with its class loader as the thread's context class loader. */
  Executor withContextLoader(Executor workers) {
    return task ->
        workers.execute(
            () -> {
              Thread t = Thread.currentThread();
              ClassLoader previous = t.getContextClassLoader();
              t.setContextClassLoader(loader);
              try {
                task.run();
              } finally {
                t.setContextClassLoader(previous);
              }
            });
  }

  void closeLoader() {
    try {
      loader.close();
    } catch (IOException e) {
      // the jar stays open until the JVM exits; nothing else depends on it
    }
  }
}
