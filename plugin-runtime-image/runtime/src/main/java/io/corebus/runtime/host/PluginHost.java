package io.corebus.runtime.host;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.crds.RuntimeContract;
import io.corebus.plugin.Plugin;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.CommittingConsumer;
import io.corebus.runtime.bus.CompletedCalls;
import io.corebus.runtime.bus.DirectChannels;
import io.corebus.runtime.bus.DirectServer;
import io.corebus.runtime.bus.EventBus;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.ReplySlot;
import io.corebus.runtime.bus.RouteTable;
import io.corebus.runtime.bus.RpcServer;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.runtime.bus.ServiceRegistry;
import io.corebus.runtime.bus.TelemetryPublisher;
import io.corebus.runtime.config.ConfigDirectory;
import io.corebus.runtime.config.ConfigWatcher;
import io.corebus.runtime.config.LivePluginConfig;
import io.corebus.runtime.config.RuntimeConfig;
import io.corebus.runtime.context.MicrometerPluginMetrics;
import io.corebus.runtime.context.RuntimePluginContext;
import io.corebus.runtime.control.ControlFollower;
import io.corebus.runtime.loader.JarFetcher;
import io.corebus.runtime.loader.PluginClassLoader;
import io.corebus.runtime.loader.PluginDiscovery;
import io.corebus.runtime.loader.PluginLoadException;
import io.corebus.runtime.security.BusSecurity;
import io.corebus.runtime.security.CallAudit;
import io.corebus.runtime.security.CallerKeys;
import io.corebus.runtime.security.CallerVerifier;
import io.corebus.runtime.security.KafkaClientSecurity;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.jboss.logging.Logger;

/**
 * Hosts the plug-in: loads it, connects it to the bus, starts it, and on shutdown drains and stops
 * it. Its state is what the health checks report.
 *
 * <p>A plug-in that cannot be loaded or started (bad checksum, no Plugin in the jar, start() threw,
 * a declared service not registered) makes the process exit with status 1 after logging the reason
 * and writing it to the termination message file: Kubernetes then shows the reason in the pod's
 * status and restarts it with back-off, which the operator can surface on the Plugin. A pod that
 * stayed up but unready would hide the reason behind a probe.
 *
 * <p>Hot swap (jar artifacts): the host follows the operator's control topic ({@link
 * ControlFollower}); when the desired jar differs from the one it runs, it fetches and verifies the
 * new jar, loads it in a new class loader, starts it next to the running version, switches the
 * dispatch of new requests and events to it, lets the old version finish what it handles, stops it
 * and closes its class loader. The consumers, reply slot and route table stay as they are, so
 * callers see no change. A swap that fails (download, checksum, start, a different set of services
 * or subscriptions) leaves the old version serving and is reported in telemetry ({@code
 * swapError}). A swap whose jar could not be downloaded (server unreachable, HTTP 5xx/429) is tried
 * again with a growing delay ({@link SwapBackoff}) for as long as it is the latest command; the
 * other failures wait for another command.
 */
@ApplicationScoped
public class PluginHost {
  private static final Logger LOG = Logger.getLogger(PluginHost.class);

  public enum Phase {
    LOADING,
    STARTING,
    RUNNING,
    FAILED,
    STOPPING,
    STOPPED
  }

  private final RuntimeConfig config;
  private final MeterRegistry meters;

  private volatile Phase phase = Phase.LOADING;
  private volatile String failureReason;
  private volatile String failureMessage;
  private volatile Thread bootThread;

  // The version that requests and events go to; replaced by a hot swap.
  private volatile LoadedPlugin current;
  private volatile RuntimeIdentity identity;
  private volatile String swapError;
  private Discovered discovered;
  private Set<String> served = Set.of();
  private Set<String> subscribedTopics = Set.of();
  private BusTopics topics;
  private BusMetrics busMetrics;
  // The idempotency window of this runtime instance: every version's RpcServer answers retries
  // from it, so a call completed (or running) on the old version does not run again on the new.
  private CompletedCalls completedCalls;
  private BusChannel channel;
  private AllowedCallers allowedCallers;
  private ControlFollower control;
  private final AtomicReference<DesiredArtifact> pendingSwap = new AtomicReference<>();
  private final ExecutorService swapper =
      Executors.newSingleThreadExecutor(threads("corebus-hot-swap", null));
  // The latest artifact the control topic asked for: a scheduled retry runs only while it still is.
  private final AtomicReference<DesiredArtifact> latestDesired = new AtomicReference<>();
  private final ScheduledExecutorService swapRetryTimer =
      Executors.newSingleThreadScheduledExecutor(threads("corebus-swap-retry", null));
  private final SwapBackoff swapBackoff;
  // A swap that failed on a transient download failure: its artifact, how many times it failed in
  // a row, and its scheduled retry. On the swap thread only.
  private DesiredArtifact retrying;
  private int failedAttempts;
  private ScheduledFuture<?> scheduledRetry;
  private Admin admin;
  private Producer<byte[], byte[]> producer;
  private ReplySlot replySlot;
  private RouteTable routeTable;
  private DirectChannels directChannels;
  private CommittingConsumer requestConsumer;
  private CommittingConsumer eventConsumer;
  private ExecutorService workers;
  private ExecutorService callbacks;
  private ScheduledExecutorService scheduler;
  private BusProbe probe;
  private TelemetryPublisher telemetry;
  private DirectServer directServer;
  private CallerKeys callerKeys;
  private CallerVerifier callerVerifier;
  private KafkaClientSecurity kafkaSecurity;

  public PluginHost(RuntimeConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
    this.swapBackoff = new SwapBackoff(config.swapRetryBase(), config.swapRetryMax());
  }

  void onStart(@Observes StartupEvent event) {
    bootThread = new Thread(this::boot, "corebus-plugin-host");
    bootThread.start();
  }

  private void boot() {
    try {
      load();
      startPlugin();
      followControlTopic();
    } catch (PluginLoadException e) {
      fail(e.reason(), e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      if (phase == Phase.STOPPING) {
        return; // shutdown raced the start
      }
      fail(RuntimeContract.FAILURE_START_FAILED, "the plug-in did not start: " + e, e);
    }
  }

  private void load() throws PluginLoadException {
    if (config.jarUrl().isPresent()) {
      String url = config.jarUrl().get();
      String sha = config.jarSha256().orElse("");
      LOG.infof("fetching plug-in jar %s", url);
      Path jar = fetcher().fetch(url, sha, config.downloadDir());
      discovered = discover(List.of(jar), sha, jar, config.pluginVersion().orElse(null));
    } else {
      discovered =
          discover(
              PluginDiscovery.jarsIn(config.pluginDir()),
              null,
              null,
              config.pluginVersion().orElse(null));
    }
    identity = discovered.identity();
  }

  private JarFetcher fetcher() {
    return new JarFetcher(config.downloadTimeout(), config.downloadAttempts());
  }

  /** A plug-in found in its jars and instantiated, not started yet. */
  private record Discovered(
      PluginClassLoader loader, Plugin plugin, RuntimeIdentity identity, String sha256, Path jar) {}

  /**
   * Loads the jars in a new class loader and instantiates their Plugin; the loader is closed when
   * that fails.
   */
  private Discovered discover(List<Path> jars, String sha256, Path jar, String expectedVersion)
      throws PluginLoadException {
    PluginClassLoader loader =
        new PluginClassLoader(
            "plugin-" + config.pluginName(), jars, PluginHost.class.getClassLoader());
    try {
      Plugin plugin = PluginDiscovery.discover(loader);
      String version;
      try {
        version = withLoader(loader, plugin::version);
      } catch (Exception e) {
        throw new PluginLoadException(
            RuntimeContract.FAILURE_PLUGIN_INSTANTIATION_FAILED,
            "Plugin.version() failed: " + e,
            e);
      }
      LOG.infof("loaded plug-in %s version %s from %s", plugin.getClass().getName(), version, jars);
      if (expectedVersion != null && !expectedVersion.equals(version)) {
        LOG.warnf(
            "the plug-in reports version %s but the Plugin's spec.version is %s",
            version, expectedVersion);
      }
      // Corebus names versions by the Plugin's spec.version (routes, status, telemetry and
      // metrics all use it); the jar's own Plugin.version() is only compared with it above.
      String named =
          expectedVersion == null || expectedVersion.isBlank() ? version : expectedVersion;
      RuntimeIdentity id =
          new RuntimeIdentity(config.namespace(), config.pluginName(), instanceName(), named);
      return new Discovered(loader, plugin, id, sha256, jar);
    } catch (PluginLoadException | RuntimeException e) {
      closeQuietly(loader);
      throw e;
    }
  }

  /**
   * Starts a discovered plug-in: gives it a context with a fresh service registry and event
   * subscriptions, runs start(), and prepares its request handling. Registration closes when
   * start() returns.
   */
  private LoadedPlugin startVersion(Discovered d) throws Exception {
    RuntimeConfig.Bus bus = config.bus();
    ServiceRegistry services = new ServiceRegistry();
    EventBus events =
        new EventBus(
            topics,
            producer,
            d.identity(),
            Duration.ofSeconds(10),
            bus.eventAttempts(),
            workers,
            scheduler,
            d.loader(),
            busMetrics);
    LivePluginConfig pluginConfig =
        new LivePluginConfig(readConfigOrEmpty(config.configDir()), d.loader());
    LoadedPlugin version =
        new LoadedPlugin(
            d.loader(),
            d.plugin(),
            d.identity(),
            d.sha256(),
            d.jar(),
            services,
            events,
            pluginConfig);
    RuntimePluginContext context =
        new RuntimePluginContext(
            d.identity().plugin(),
            d.identity().namespace(),
            pluginConfig,
            new MicrometerPluginMetrics(meters, d.identity().plugin(), d.identity().version()),
            channel,
            services,
            events);
    withLoader(
        d.loader(),
        () -> {
          d.plugin().start(context);
          return null;
        });
    context.closeRegistration();
    version.server =
        new RpcServer(
            services,
            producer,
            d.identity(),
            version.withContextLoader(workers),
            scheduler,
            completedCalls,
            Clock.systemUTC(),
            busMetrics,
            allowedCallers,
            callerVerifier,
            CallAudit.toLog());
    version.configWatcher =
        new ConfigWatcher(config.configDir(), pluginConfig, config.configPollInterval());
    return version;
  }

  /**
   * Runs a callback of the plug-in's outgoing calls with the current version's class loader as the
   * context class loader (the first version's while it starts).
   */
  private void callback(Runnable task) {
    LoadedPlugin version = current;
    ClassLoader loader = version != null ? version.loader : discovered.loader();
    callbacks.execute(
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

  /** Hands a record to the current version, counted in so that a swap waits for it. */
  private CompletableFuture<?> dispatch(Function<LoadedPlugin, CompletableFuture<?>> handler) {
    while (true) {
      LoadedPlugin version = current;
      if (version.enter()) {
        return version.handle(handler);
      }
      // retired between the read and the count: the swap already made another one current
    }
  }

  /**
   * On a secured bus ({@code COREBUS_REQUIRE_SIGNED_CALLS}), follows the callers' public keys and
   * returns the verifier that every request must pass; else null.
   */
  private CallerVerifier callerVerifier(KafkaClientSecurity security, BusTopics topics) {
    if (!config.requireSignedCalls()) {
      return null;
    }
    callerKeys =
        new CallerKeys(
            topics.keys(),
            security.apply(
                KafkaSettings.routeConsumer(
                    config.kafkaBootstrap(),
                    "corebus-" + identity.plugin() + "-" + identity.instance() + "-keys")),
            scheduler);
    callerKeys.start();
    return new CallerVerifier(callerKeys, BusSecurity.KEY_WAIT);
  }

  private void startPlugin() throws Exception {
    phase = Phase.STARTING;
    RuntimeConfig.Bus bus = config.bus();
    topics = BusTopics.forNamespace(bus.topicPrefix(), config.namespace());
    String bootstrap = config.kafkaBootstrap();
    String clientId = "corebus-" + identity.plugin() + "-" + identity.instance();

    scheduler = Executors.newScheduledThreadPool(2, threads("corebus-timer", null));
    workers =
        new ThreadPoolExecutor(
            bus.maxInFlight(),
            bus.maxInFlight(),
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            threads("corebus-worker", null));
    callbacks = Executors.newCachedThreadPool(threads("corebus-callback", null));

    KafkaClientSecurity security = BusSecurity.clientSecurity(config);
    kafkaSecurity = security;
    admin = Admin.create(security.apply(KafkaSettings.admin(bootstrap, clientId + "-admin")));
    producer =
        new KafkaProducer<>(
            security.apply(KafkaSettings.producer(bootstrap, clientId, bus.lingerMs())));

    String slotTopic = topics.replies(identity.plugin(), identity.instance());
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    replySlot =
        new ReplySlot(
            slotTopic, security.apply(KafkaSettings.replyConsumer(bootstrap, clientId + "-reply")));
    replySlot.start();

    busMetrics = new BusMetrics(meters);
    completedCalls = new CompletedCalls(bus.idempotencyWindow());
    // Followed from before start(): the plug-in may call other services while starting.
    routeTable =
        new RouteTable(
            topics.routes(),
            security.apply(KafkaSettings.routeConsumer(bootstrap, clientId + "-routes")),
            busMetrics);
    directChannels = new DirectChannels();
    routeTable.onEndpointsChanged(directChannels::retainOnly);
    routeTable.start();
    Gauge.builder("corebus.routes.services", routeTable, RouteTable::size)
        .description("Services in the route table")
        .register(meters);
    channel =
        new BusChannel(
            routeTable,
            directChannels,
            replySlot,
            producer,
            identity,
            bus.defaultDeadline(),
            bus.maxAttempts(),
            scheduler,
            this::callback,
            busMetrics,
            BusSecurity.signer(config, security));
    // Before the first version starts: its RpcServer checks every request with it.
    callerVerifier = callerVerifier(security, topics);
    try {
      allowedCallers = AllowedCallers.parse(config.allowedCallers().orElse(""));
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_INVALID_ALLOWED_CALLERS, e.getMessage(), e);
    }
    LoadedPlugin first = startVersion(discovered);
    current = first;
    served = servedServices(first.services.serviceNames());
    subscribedTopics = first.events.subscribedTopics();
    RequestTopics requestTopics;
    try {
      requestTopics = RequestTopics.parse(config.requestTopics().orElse(""));
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_INVALID_REQUEST_TOPICS, e.getMessage(), e);
    }
    List<String> consumed = new ArrayList<>();
    if (!served.isEmpty()) {
      List<String> requestTopicNames =
          served.stream().map(s -> requestTopics.topicOf(s, topics)).distinct().sorted().toList();
      requestConsumer =
          new CommittingConsumer(
              "requests",
              security.apply(
                  KafkaSettings.groupConsumer(
                      bootstrap,
                      topics.requestGroup(identity.plugin()),
                      clientId + "-rpc",
                      bus.maxInFlight(),
                      bus.sessionTimeout())),
              requestTopicNames,
              record -> dispatch(version -> version.server.handle(record)),
              bus.maxInFlight(),
              bus.drainTimeout());
      requestConsumer.start();
      Gauge.builder("corebus.rpc.server.in.flight", requestConsumer, CommittingConsumer::inFlight)
          .description("Calls being handled now")
          .register(meters);
      consumed.addAll(requestTopicNames);
    }
    if (!served.isEmpty() && config.grpcPort() >= 0) {
      directServer =
          new DirectServer(
                  config.grpcHost().orElse(null),
                  config.grpcPort(),
                  directDefinitions(first),
                  allowedCallers,
                  workers,
                  busMetrics,
                  callerKeys,
                  CallAudit.toLog(),
                  identity.plugin())
              .start();
      LOG.infof("direct gRPC (hybrid routes) on port %d", directServer.port());
    }
    Set<String> eventTopics = subscribedTopics;
    if (!eventTopics.isEmpty()) {
      eventConsumer =
          new CommittingConsumer(
              "events",
              security.apply(
                  KafkaSettings.groupConsumer(
                      bootstrap,
                      topics.eventGroup(identity.plugin()),
                      clientId + "-events",
                      bus.maxInFlight(),
                      bus.sessionTimeout())),
              eventTopics,
              record -> dispatch(version -> version.events.handle(record)),
              bus.maxInFlight(),
              bus.drainTimeout());
      eventConsumer.start();
      Gauge.builder("corebus.events.in.flight", eventConsumer, CommittingConsumer::inFlight)
          .description("Events being handled now")
          .register(meters);
      consumed.addAll(eventTopics);
    }
    List<CommittingConsumer> consumers = new ArrayList<>();
    if (requestConsumer != null) {
      consumers.add(requestConsumer);
    }
    if (eventConsumer != null) {
      consumers.add(eventConsumer);
    }
    telemetry =
        new TelemetryPublisher(
            topics.telemetry(),
            producer,
            () -> {
              LoadedPlugin version = current;
              return new TelemetryPublisher.Running(version.identity, version.sha256, swapError);
            },
            config.revision().orElse(""),
            busMetrics.window(),
            requestConsumer,
            consumers);
    telemetry.start();
    probe = new BusProbe(admin, consumed);
    scheduler.scheduleWithFixedDelay(probe::check, 0, 5, TimeUnit.SECONDS);
    phase = Phase.RUNNING;
    LOG.infof(
        "plug-in %s %s started; serving %s, subscribed to %s",
        identity.plugin(), identity.version(), served, eventTopics);
  }

  /**
   * Follows the control topic when the Plugin's rollout strategy is HotSwap and the plug-in comes
   * from a jar URL (only those can be swapped). Other runtimes never read it, so a record left from
   * an earlier HotSwap life of the Plugin cannot move them.
   */
  private void followControlTopic() {
    if (!config.hotSwap() || config.jarUrl().isEmpty() || phase != Phase.RUNNING) {
      return;
    }
    control =
        new ControlFollower(
            topics.control(),
            identity.plugin(),
            kafkaSecurity.apply(
                KafkaSettings.routeConsumer(
                    config.kafkaBootstrap(),
                    "corebus-" + identity.plugin() + "-" + identity.instance() + "-control")),
            this::requestSwap);
    control.start();
  }

  /** Runs (on the swap thread) the latest desired artifact; earlier ones not begun are skipped. */
  void requestSwap(DesiredArtifact desired) {
    latestDesired.set(desired);
    pendingSwap.set(desired);
    try {
      swapper.execute(this::swapToPending);
    } catch (RejectedExecutionException e) {
      // shutting down
    }
  }

  private void swapToPending() {
    DesiredArtifact desired = pendingSwap.getAndSet(null);
    if (desired == null) {
      return;
    }
    swapTo(desired);
  }

  /** Tries a swap again after a download failure (on the swap thread), unless it was superseded. */
  private void retrySwap(DesiredArtifact desired) {
    if (!desired.sameArtifact(latestDesired.get())) {
      // the newer command has its own swap queued (or done); it cancelled this retry
      LOG.debugf("retry of the swap to %s dropped: a newer command came", desired.version());
      return;
    }
    LOG.infof(
        "retrying the hot swap of %s to %s (attempt %d)",
        identity.plugin(), desired.version(), failedAttempts + 1);
    swapTo(desired);
  }

  private void swapTo(DesiredArtifact desired) {
    if (phase != Phase.RUNNING) {
      return;
    }
    if (!desired.sameArtifact(retrying)) {
      cancelRetry(); // another command: the old retry is moot, and attempts count from 1
    }
    LoadedPlugin old = current;
    if (desired.sha256().equals(old.sha256)) {
      if (swapError != null) {
        LOG.infof("the desired jar is the one running (%s); the failed swap is moot", old.sha256);
        swapError = null;
      }
      return;
    }
    long started = System.nanoTime();
    LOG.infof(
        "hot swap of %s: %s -> %s (%s, generation %d)",
        identity.plugin(),
        old.identity.version(),
        desired.version(),
        desired.jarUrl(),
        desired.generation());
    Discovered next = null;
    LoadedPlugin started2 = null;
    try {
      Path jar = fetcher().fetch(desired.jarUrl(), desired.sha256(), config.downloadDir());
      next = discover(List.of(jar), desired.sha256(), jar, desired.version());
      started2 = startVersion(next);
      requireSameContract(old, started2);
      if (phase != Phase.RUNNING) {
        throw new PluginLoadException("ShuttingDown", "the runtime is shutting down");
      }
    } catch (Exception e) {
      String reason =
          e instanceof PluginLoadException p ? p.reason() : RuntimeContract.FAILURE_START_FAILED;
      String message =
          e instanceof PluginLoadException ? e.getMessage() : "the plug-in did not start: " + e;
      String error =
          reason
              + ": "
              + message
              + " (still running "
              + old.identity.version()
              + "; wanted "
              + desired.version()
              + ")";
      boolean retried = e instanceof PluginLoadException p && p.transientFailure();
      if (retried) {
        error += scheduleRetry(desired);
      } else {
        cancelRetry(); // the same jar would fail again: it takes another command
      }
      swapError = error;
      if (retried) {
        // one line per try: the message has the cause, and a stack per retry would flood the log
        LOG.warnf(
            "hot swap of %s failed, %s keeps serving: %s",
            identity.plugin(), old.identity.version(), swapError);
      } else {
        LOG.errorf(
            e,
            "hot swap of %s failed, %s keeps serving: %s",
            identity.plugin(),
            old.identity.version(),
            swapError);
      }
      if (started2 != null) {
        stopVersion(started2);
      }
      if (next != null) {
        closeQuietly(next.loader());
        deleteJar(next.jar(), old);
      }
      return;
    }
    LoadedPlugin fresh = started2;
    if (directServer != null) {
      directServer.replaceServices(directDefinitions(fresh));
    }
    current = fresh; // new requests and events go to the new version from here on
    identity = fresh.identity;
    swapError = null;
    cancelRetry();
    old.retire();
    long switched = System.nanoTime();
    try {
      if (!old.awaitIdle(config.bus().drainTimeout())) {
        LOG.warnf(
            "%d calls or events of %s did not finish within %s; stopping it anyway",
            old.inFlight(), old.identity.version(), config.bus().drainTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopVersion(old);
    closeQuietly(old.loader);
    deleteJar(old.jar, fresh);
    LOG.infof(
        "hot swap of %s to %s done in %d ms (serving the new version after %d ms)",
        identity.plugin(),
        fresh.identity.version(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
        TimeUnit.NANOSECONDS.toMillis(switched - started));
  }

  /**
   * Schedules the next try of a swap whose download failed; returns what to add to its swapError.
   * The timer only queues the retry on the swap thread, behind any newer command.
   */
  private String scheduleRetry(DesiredArtifact desired) {
    if (scheduledRetry != null) {
      scheduledRetry.cancel(false); // this try came from a repeated command, not from the timer
    }
    retrying = desired;
    failedAttempts++;
    int next = failedAttempts + 1;
    Duration delay = swapBackoff.delayBefore(next);
    try {
      scheduledRetry =
          swapRetryTimer.schedule(
              () -> {
                try {
                  swapper.execute(() -> retrySwap(desired));
                } catch (RejectedExecutionException e) {
                  // shutting down
                }
              },
              delay.toMillis(),
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      return ""; // shutting down
    }
    Instant at = Instant.now().plus(delay).truncatedTo(ChronoUnit.SECONDS);
    return "; retrying in " + SwapBackoff.format(delay) + " at " + at + " (attempt " + next + ")";
  }

  private void cancelRetry() {
    if (scheduledRetry != null) {
      scheduledRetry.cancel(false);
    }
    scheduledRetry = null;
    retrying = null;
    failedAttempts = 0;
  }

  /**
   * The consumers and the direct server keep their topics and services across a swap, so the new
   * version must register the same services and subscribe to the same event types.
   */
  private void requireSameContract(LoadedPlugin old, LoadedPlugin next) throws PluginLoadException {
    Set<String> nextServed = servedServices(next.services.serviceNames());
    if (!nextServed.equals(served)) {
      throw new PluginLoadException(
          "ContractChanged",
          "version "
              + next.identity.version()
              + " serves "
              + nextServed
              + " but the running version serves "
              + served
              + "; a hot swap keeps the services (change them with a Rolling rollout)");
    }
    Set<String> nextTopics = next.events.subscribedTopics();
    if (!nextTopics.equals(subscribedTopics)) {
      throw new PluginLoadException(
          "ContractChanged",
          "version "
              + next.identity.version()
              + " subscribes to "
              + nextTopics
              + " but the running version to "
              + subscribedTopics
              + "; a hot swap keeps the subscriptions (change them with a Rolling rollout)");
    }
  }

  private void stopVersion(LoadedPlugin version) {
    closeQuietly(version.configWatcher);
    try {
      withLoader(
          version.loader,
          () -> {
            version.plugin.stop();
            return null;
          });
      LOG.infof("plug-in %s %s stopped", version.identity.plugin(), version.identity.version());
    } catch (Exception e) {
      LOG.errorf(
          e, "stop() of %s %s failed", version.identity.plugin(), version.identity.version());
    }
  }

  /** Deletes a downloaded jar no longer in use (not the one {@code inUse} runs). */
  private static void deleteJar(Path jar, LoadedPlugin inUse) {
    if (jar == null || jar.equals(inUse.jar)) {
      return;
    }
    try {
      Files.deleteIfExists(jar);
    } catch (IOException e) {
      LOG.debugf("cannot delete %s: %s", jar, e);
    }
  }

  /**
   * The direct-path definitions of a version's served services, each call counted in the version (a
   * swap waits for it) and run with the version's class loader as context class loader.
   */
  private List<ServerServiceDefinition> directDefinitions(LoadedPlugin version) {
    ServerInterceptor counted = new VersionCalls(version);
    return version.services.definitions(served).stream()
        .map(d -> ServerInterceptors.intercept(d, counted))
        .toList();
  }

  /** The registered services to consume requests for, checked against COREBUS_PROVIDES. */
  private Set<String> servedServices(Set<String> registered) throws PluginLoadException {
    if (config.provides().isEmpty()) {
      return registered;
    }
    Set<String> declared = new LinkedHashSet<>(config.provides().get());
    Set<String> missing = new LinkedHashSet<>(declared);
    missing.removeAll(registered);
    if (!missing.isEmpty()) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_SERVICE_NOT_IMPLEMENTED,
          "the Plugin provides "
              + missing
              + " but the plug-in registered no implementation (registered: "
              + registered
              + ")");
    }
    Set<String> extra = new HashSet<>(registered);
    extra.removeAll(declared);
    if (!extra.isEmpty()) {
      LOG.warnf("not serving %s: the Plugin's spec.provides does not list them", extra);
    }
    return declared;
  }

  private static java.util.Map<String, String> readConfigOrEmpty(Path dir) {
    try {
      return ConfigDirectory.read(dir);
    } catch (IOException e) {
      LOG.warnf("cannot read configuration in %s: %s", dir, e);
      return java.util.Map.of();
    }
  }

  private String instanceName() {
    return config
        .podName()
        .orElseGet(
            () -> {
              try {
                return InetAddress.getLocalHost().getHostName().toLowerCase();
              } catch (IOException e) {
                return "instance-" + ProcessHandle.current().pid();
              }
            });
  }

  private void fail(String reason, String message, Throwable cause) {
    phase = Phase.FAILED;
    failureReason = reason;
    failureMessage = message;
    LOG.errorf(cause, "plug-in %s failed to start (%s): %s", config.pluginName(), reason, message);
    // The format of RuntimeContract.terminationMessage, spelled out: crds is compile-only here
    // (its constants are inlined), so its methods are not on the runtime's class path.
    try {
      writeTerminationMessage(reason + RuntimeContract.TERMINATION_SEPARATOR + message);
    } finally {
      // Exit whatever happened above: a runtime left up would only be killed by its startup probe.
      Quarkus.asyncExit(1);
    }
  }

  private void writeTerminationMessage(String message) {
    Path path = config.terminationMessagePath();
    try {
      if (Files.isDirectory(path.getParent())
          && (Files.notExists(path) || Files.isWritable(path))) {
        Files.writeString(path, message, StandardCharsets.UTF_8);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debugf("cannot write the termination message to %s: %s", path, e);
    }
  }

  /**
   * SIGTERM: stop taking work, let in-flight calls and events finish and commit them, then stop the
   * plug-in, then close the bus clients. Runs before Quarkus exits.
   */
  void onStop(@Observes ShutdownEvent event) {
    Phase before = phase;
    phase = Phase.STOPPING;
    Thread boot = bootThread;
    if (boot != null && boot.isAlive()) {
      boot.interrupt();
    }
    long started = System.nanoTime();
    closeQuietly(control);
    swapRetryTimer.shutdownNow();
    swapper.shutdownNow();
    try {
      // a swap in progress sees STOPPING and gives up, or finishes its drain
      swapper.awaitTermination(config.bus().drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (directServer != null) {
      directServer.stopAccepting();
    }
    closeQuietly(requestConsumer);
    closeQuietly(eventConsumer);
    if (directServer != null) {
      directServer.awaitStopped(config.bus().drainTimeout());
    }
    LoadedPlugin last = current;
    if (last != null && (before == Phase.RUNNING || before == Phase.STARTING)) {
      stopVersion(last);
    }
    closeQuietly(telemetry);
    closeQuietly(replySlot);
    closeQuietly(routeTable);
    closeQuietly(callerKeys);
    closeQuietly(directChannels);
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
    for (ExecutorService pool : new ExecutorService[] {workers, callbacks, scheduler}) {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    phase = before == Phase.FAILED ? Phase.FAILED : Phase.STOPPED;
    LOG.infof(
        "runtime drained and stopped in %d ms",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warnf("closing %s failed: %s", c, e);
    }
  }

  private static <T> T withLoader(ClassLoader loader, ThrowingSupplier<T> work) throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader previous = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      return work.get();
    } finally {
      t.setContextClassLoader(previous);
    }
  }

  @FunctionalInterface
  private interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  private static ThreadFactory threads(String prefix, ClassLoader contextLoader) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      if (contextLoader != null) {
        t.setContextClassLoader(contextLoader);
      }
      return t;
    };
  }

  // --- state for the health checks ---

  public Phase phase() {
    return phase;
  }

  public String failureReason() {
    return failureReason;
  }

  public String failureMessage() {
    return failureMessage;
  }

  /** Why the runtime is not ready, or null when it is ready. */
  public String notReadyReason() {
    Phase p = phase;
    switch (p) {
      case LOADING:
        return "loading the plug-in";
      case STARTING:
        return "starting the plug-in";
      case FAILED:
        return failureReason + ": " + failureMessage;
      case STOPPING:
      case STOPPED:
        return "shutting down";
      default:
        break;
    }
    if (!replySlot.ready()) {
      return "reply slot " + replySlot.topic() + " not assigned yet";
    }
    if (requestConsumer != null && !requestConsumer.joined()) {
      return "request consumers not assigned yet";
    }
    if (eventConsumer != null && !eventConsumer.joined()) {
      return "event consumers not assigned yet";
    }
    if (!routeTable.caughtUp()) {
      return routeTable.notReadyReason();
    }
    String busProblem = probe == null ? "bus not checked yet" : probe.problem();
    return busProblem;
  }

  /** Why the process is broken beyond a restart of parts, or null when alive. */
  public String deadReason() {
    if (phase == Phase.FAILED) {
      return failureReason + ": " + failureMessage;
    }
    for (CommittingConsumer c : new CommittingConsumer[] {requestConsumer, eventConsumer}) {
      if (c != null && c.failure() != null) {
        return "consumer of " + c.topics() + " died: " + c.failure();
      }
    }
    if (replySlot != null && replySlot.failure() != null) {
      return "reply slot died: " + replySlot.failure();
    }
    return null;
  }

  public RuntimeIdentity identity() {
    return identity;
  }

  /** Why the last hot swap failed (the previous version still runs), or null. */
  public String swapError() {
    return swapError;
  }
}
