package io.corebus.runtime.host;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.crds.RuntimeContract;
import io.corebus.plugin.Plugin;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.CommittingConsumer;
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
import io.corebus.runtime.loader.JarFetcher;
import io.corebus.runtime.loader.PluginClassLoader;
import io.corebus.runtime.loader.PluginDiscovery;
import io.corebus.runtime.loader.PluginLoadException;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

  private Plugin plugin;
  private PluginClassLoader loader;
  private RuntimeIdentity identity;
  private ConfigWatcher configWatcher;
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

  public PluginHost(RuntimeConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  void onStart(@Observes StartupEvent event) {
    bootThread = new Thread(this::boot, "corebus-plugin-host");
    bootThread.start();
  }

  private void boot() {
    try {
      load();
      startPlugin();
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
    List<Path> jars;
    if (config.jarUrl().isPresent()) {
      String url = config.jarUrl().get();
      String sha = config.jarSha256().orElse("");
      LOG.infof("fetching plug-in jar %s", url);
      jars =
          List.of(
              new JarFetcher(config.downloadTimeout(), config.downloadAttempts())
                  .fetch(url, sha, config.downloadDir()));
    } else {
      jars = PluginDiscovery.jarsIn(config.pluginDir());
    }
    loader =
        new PluginClassLoader(
            "plugin-" + config.pluginName(), jars, PluginHost.class.getClassLoader());
    plugin = PluginDiscovery.discover(loader);
    String version;
    try {
      version = withLoader(plugin::version);
    } catch (Exception e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_PLUGIN_INSTANTIATION_FAILED, "Plugin.version() failed: " + e, e);
    }
    LOG.infof("loaded plug-in %s version %s from %s", plugin.getClass().getName(), version, jars);
    config
        .pluginVersion()
        .filter(expected -> !expected.equals(version))
        .ifPresent(
            expected ->
                LOG.warnf(
                    "the plug-in reports version %s but the Plugin's spec.version is %s",
                    version, expected));
    identity =
        new RuntimeIdentity(config.namespace(), config.pluginName(), instanceName(), version);
  }

  private void startPlugin() throws Exception {
    phase = Phase.STARTING;
    RuntimeConfig.Bus bus = config.bus();
    BusTopics topics = BusTopics.forNamespace(bus.topicPrefix(), config.namespace());
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
            threads("corebus-worker", loader));
    callbacks = Executors.newCachedThreadPool(threads("corebus-callback", loader));

    admin = Admin.create(KafkaSettings.admin(bootstrap, clientId + "-admin"));
    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, clientId, bus.lingerMs()));

    String slotTopic = topics.replies(identity.instance());
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    replySlot =
        new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, clientId + "-reply"));
    replySlot.start();

    BusMetrics busMetrics = new BusMetrics(meters);
    // Followed from before start(): the plug-in may call other services while starting.
    routeTable =
        new RouteTable(
            topics.routes(),
            KafkaSettings.routeConsumer(bootstrap, clientId + "-routes"),
            busMetrics);
    directChannels = new DirectChannels();
    routeTable.onEndpointsChanged(directChannels::retainOnly);
    routeTable.start();
    Gauge.builder("corebus.routes.services", routeTable, RouteTable::size)
        .description("Services in the route table")
        .register(meters);
    BusChannel channel =
        new BusChannel(
            routeTable,
            directChannels,
            replySlot,
            producer,
            identity,
            bus.defaultDeadline(),
            bus.maxAttempts(),
            scheduler,
            callbacks,
            busMetrics);
    ServiceRegistry services = new ServiceRegistry();
    EventBus events =
        new EventBus(
            topics,
            producer,
            identity,
            Duration.ofSeconds(10),
            bus.eventAttempts(),
            workers,
            scheduler,
            loader,
            busMetrics);

    LivePluginConfig pluginConfig =
        new LivePluginConfig(readConfigOrEmpty(config.configDir()), loader);
    RuntimePluginContext context =
        new RuntimePluginContext(
            identity.plugin(),
            identity.namespace(),
            pluginConfig,
            new MicrometerPluginMetrics(meters, identity.plugin(), identity.version()),
            channel,
            services,
            events);

    withLoader(
        () -> {
          plugin.start(context);
          return null;
        });
    context.closeRegistration();
    configWatcher =
        new ConfigWatcher(config.configDir(), pluginConfig, config.configPollInterval());

    Set<String> served = servedServices(services.serviceNames());
    AllowedCallers allowedCallers;
    try {
      allowedCallers = AllowedCallers.parse(config.allowedCallers().orElse(""));
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_INVALID_ALLOWED_CALLERS, e.getMessage(), e);
    }
    RequestTopics requestTopics;
    try {
      requestTopics = RequestTopics.parse(config.requestTopics().orElse(""));
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_INVALID_REQUEST_TOPICS, e.getMessage(), e);
    }
    List<String> consumed = new ArrayList<>();
    if (!served.isEmpty()) {
      RpcServer server =
          new RpcServer(
              services,
              producer,
              identity,
              workers,
              scheduler,
              bus.idempotencyWindow(),
              Clock.systemUTC(),
              busMetrics,
              allowedCallers);
      List<String> requestTopicNames =
          served.stream().map(s -> requestTopics.topicOf(s, topics)).distinct().sorted().toList();
      requestConsumer =
          new CommittingConsumer(
              "requests",
              KafkaSettings.groupConsumer(
                  bootstrap,
                  topics.requestGroup(identity.plugin()),
                  clientId + "-rpc",
                  bus.maxInFlight(),
                  bus.sessionTimeout()),
              requestTopicNames,
              server::handle,
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
                  services.definitions(served),
                  allowedCallers,
                  workers,
                  busMetrics)
              .start();
      LOG.infof("direct gRPC (hybrid routes) on port %d", directServer.port());
    }
    Set<String> eventTopics = events.subscribedTopics();
    if (!eventTopics.isEmpty()) {
      eventConsumer =
          new CommittingConsumer(
              "events",
              KafkaSettings.groupConsumer(
                  bootstrap,
                  topics.eventGroup(identity.plugin()),
                  clientId + "-events",
                  bus.maxInFlight(),
                  bus.sessionTimeout()),
              eventTopics,
              events::handle,
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
            identity,
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
    if (directServer != null) {
      directServer.stopAccepting();
    }
    closeQuietly(requestConsumer);
    closeQuietly(eventConsumer);
    if (directServer != null) {
      directServer.awaitStopped(config.bus().drainTimeout());
    }
    if (plugin != null && (before == Phase.RUNNING || before == Phase.STARTING)) {
      try {
        withLoader(
            () -> {
              plugin.stop();
              return null;
            });
        LOG.infof("plug-in %s stopped", config.pluginName());
      } catch (Exception e) {
        LOG.errorf(e, "the plug-in's stop() failed");
      }
    }
    closeQuietly(configWatcher);
    closeQuietly(telemetry);
    closeQuietly(replySlot);
    closeQuietly(routeTable);
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

  private <T> T withLoader(ThrowingSupplier<T> work) throws Exception {
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
}
