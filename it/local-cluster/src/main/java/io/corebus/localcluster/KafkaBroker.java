package io.corebus.localcluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The real Apache Kafka broker (KRaft, one node acting as broker and controller) running as a child
 * JVM, from the {@code kafka_2.13} jars Maven resolved when this module was built.
 *
 * <p>Each broker gets free ports on 127.0.0.1, its own data directory under a temporary working
 * directory, and replication factors of 1 for internal topics. Topics are not created
 * automatically, as on a Corebus cluster where the core creates them: use {@link #createTopic}.
 * {@link #close()} stops the process (SIGTERM, then SIGKILL after a grace period) and deletes the
 * working directory. Brokers still running when the JVM exits are stopped by a shutdown hook, and a
 * broker whose parent JVM was killed outright exits by itself (see {@link OrphanGuard}).
 *
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.start()) {
 *   kafka.createTopic("orders", 3);
 *   ... new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()), ...)
 * }
 * }</pre>
 */
public final class KafkaBroker implements AutoCloseable {

  /** Set to a bootstrap address to use an existing cluster instead of starting a broker. */
  public static final String EXTERNAL_BOOTSTRAP_ENV = "COREBUS_IT_KAFKA";

  /** Read when {@value #EXTERNAL_BOOTSTRAP_ENV} is not set (the name this had before). */
  public static final String EXTERNAL_BOOTSTRAP_ENV_ALIAS = "COREBUS_IT_KAFKA_BOOTSTRAP";

  /**
   * The bootstrap servers of a real cluster's Kafka: {@value #EXTERNAL_BOOTSTRAP_ENV}, else {@value
   * #EXTERNAL_BOOTSTRAP_ENV_ALIAS}, else empty.
   */
  public static Optional<String> externalBootstrap() {
    for (String name : List.of(EXTERNAL_BOOTSTRAP_ENV, EXTERNAL_BOOTSTRAP_ENV_ALIAS)) {
      String value = System.getenv(name);
      if (value != null && !value.isBlank()) {
        return Optional.of(value.trim());
      }
    }
    return Optional.empty();
  }

  static final String CLASSPATH_RESOURCE = "kafka-broker.classpath";

  private static final Set<KafkaBroker> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> RUNNING.forEach(b -> b.stop(Duration.ofSeconds(5))), "kafka-broker-stopper"));
  }

  private final String bootstrapServers;
  private final Scram admin;
  private final Process process;
  private final OutputStream parentPipe;
  private final Path workDir;
  private final Path logFile;
  private volatile boolean closed;

  private KafkaBroker(
      String bootstrapServers,
      Scram admin,
      Process process,
      OutputStream parentPipe,
      Path workDir,
      Path logFile) {
    this.bootstrapServers = bootstrapServers;
    this.admin = admin;
    this.process = process;
    this.parentPipe = parentPipe;
    this.workDir = workDir;
    this.logFile = logFile;
  }

  /** Starts a broker with the default options. */
  public static KafkaBroker start() {
    return start(new Options());
  }

  /**
   * Starts a broker and returns once it accepts clients. Throws {@link IllegalStateException} with
   * the end of the broker's log when it does not come up.
   */
  public static KafkaBroker start(Options options) {
    IllegalStateException last = null;
    // Free ports are probed, then bound by the child: another process may win the race. Retry then.
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        return startOnce(options);
      } catch (PortTakenException e) {
        last = e;
      }
    }
    throw last;
  }

  /**
   * The broker given by {@value #EXTERNAL_BOOTSTRAP_ENV} when that is set (a real cluster), else a
   * new child-process broker.
   */
  public static KafkaBroker startOrConnect(Options options) {
    // A secured broker needs its super user's password, which an external one does not give us.
    if (options.secured) {
      return start(options);
    }
    return externalBootstrap().map(KafkaBroker::connectTo).orElseGet(() -> start(options));
  }

  /** A handle on a broker that runs elsewhere; {@link #close()} leaves it running. */
  public static KafkaBroker connectTo(String bootstrapServers) {
    return new KafkaBroker(bootstrapServers, null, null, null, null, null);
  }

  private static KafkaBroker startOnce(Options options) {
    Path workDir;
    try {
      workDir = Files.createTempDirectory(options.parentDir, "corebus-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the broker's working directory", e);
    }
    int brokerPort = freePort();
    int controllerPort = freePort();
    String host = options.host;
    Path dataDir = workDir.resolve("data");
    Path config = workDir.resolve("server.properties");
    Path logFile = workDir.resolve("broker.log");
    String bootstrap = host + ":" + brokerPort;

    Map<String, String> props = new LinkedHashMap<>();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
    props.put(
        "listeners", "PLAINTEXT://" + bootstrap + ",CONTROLLER://" + host + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + bootstrap);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    Scram admin = options.secured ? Scram.generated(SUPER_USER) : null;
    if (admin != null) {
      // One SASL_PLAINTEXT listener for clients and the broker itself; SCRAM users live in the
      // cluster metadata (the super user is written there by the storage format below). The
      // controller listener stays PLAINTEXT on loopback: a combined node talks to its own
      // controller as ANONYMOUS, which therefore has to be a super user (KRaft cannot do SCRAM
      // on the controller listener).
      props.put(
          "listeners", "CLIENT://" + bootstrap + ",CONTROLLER://" + host + ":" + controllerPort);
      props.put("advertised.listeners", "CLIENT://" + bootstrap);
      props.put("inter.broker.listener.name", "CLIENT");
      props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,CLIENT:SASL_PLAINTEXT");
      props.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
      props.put("sasl.mechanism.inter.broker.protocol", SCRAM_MECHANISM);
      props.put("listener.name.client.scram-sha-512.sasl.jaas.config", admin.jaasConfig());
      props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      props.put("super.users", "User:" + admin.user() + ";User:ANONYMOUS");
      props.put("allow.everyone.if.no.acl.found", "false");
    }
    props.put("log.dirs", dataDir.toString());
    props.put("num.partitions", "1");
    props.put("auto.create.topics.enable", "false");
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("log.retention.check.interval.ms", "60000");
    props.putAll(options.serverProperties);
    try {
      Files.writeString(
          config,
          props.entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .collect(Collectors.joining("\n"))
              + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }

    String classpath = brokerClasspath();
    List<String> jvm = new ArrayList<>();
    jvm.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    jvm.add("-Xmx" + options.heap);
    jvm.add("-Xms64m");
    jvm.add("-XX:+UseSerialGC");
    jvm.add("-Djava.awt.headless=true");
    jvm.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + options.logLevel);
    jvm.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    jvm.add("-cp");
    jvm.add(classpath);
    jvm.add(OrphanGuard.class.getName());

    List<String> format = new ArrayList<>(jvm);
    format.addAll(
        List.of(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            Uuid.randomUuid().toString(),
            "--config",
            config.toString(),
            "--ignore-formatted"));
    if (admin != null) {
      format.addAll(
          List.of(
              "--add-scram",
              SCRAM_MECHANISM + "=[name=" + admin.user() + ",password=" + admin.password() + "]"));
    }
    run(format, workDir, workDir.resolve("format.log"), Duration.ofSeconds(60));

    List<String> server = new ArrayList<>(jvm);
    server.addAll(List.of("kafka.Kafka", config.toString()));
    Process process;
    try {
      process =
          new ProcessBuilder(server)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(logFile.toFile())
              .start();
    } catch (IOException e) {
      Directories.deleteRecursively(workDir);
      throw new UncheckedIOException("cannot start the Kafka broker", e);
    }
    KafkaBroker broker =
        new KafkaBroker(bootstrap, admin, process, process.getOutputStream(), workDir, logFile);
    RUNNING.add(broker);
    try {
      broker.awaitReady(options.startupTimeout);
    } catch (RuntimeException e) {
      String log = broker.logTail(60);
      broker.close();
      if (log.contains("Address already in use")) {
        throw new PortTakenException(log);
      }
      throw new IllegalStateException(
          "Kafka broker did not become ready: " + e.getMessage() + "\n--- broker log ---\n" + log,
          e);
    }
    return broker;
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Properties props = new Properties();
    props.putAll(clientProperties());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    try (Admin admin = Admin.create(props)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the broker process exited with " + process.exitValue());
        }
        try {
          Collection<?> nodes = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
          if (!nodes.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          // not up yet
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no answer within " + timeout);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the broker", e);
        }
      }
    }
  }

  /** {@code host:port} for clients' {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Whether this handle started the broker process (false for {@link #connectTo}). */
  public boolean isManaged() {
    return process != null;
  }

  /** The broker process, or null for an external broker. */
  public ProcessHandle processHandle() {
    return process == null ? null : process.toHandle();
  }

  /** The broker's working directory (config, data, log), or null for an external broker. */
  public Path workDir() {
    return workDir;
  }

  /**
   * Admin client properties for this broker; add your own before {@code Admin.create}. On a
   * {@linkplain Options#secured() secured} broker they log in as the super user.
   */
  public Map<String, Object> clientProperties() {
    return admin == null ? plainProperties() : clientProperties(admin.user(), admin.password());
  }

  /** Client properties that log in as a SCRAM user (on a secured broker). */
  public Map<String, Object> clientProperties(String user, String password) {
    Map<String, Object> props = plainProperties();
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
    props.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISM);
    props.put(SaslConfigs.SASL_JAAS_CONFIG, new Scram(user, password).jaasConfig());
    return props;
  }

  private Map<String, Object> plainProperties() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return props;
  }

  /** Whether clients must log in with SCRAM and the standard authorizer checks ACLs. */
  public boolean isSecured() {
    return admin != null;
  }

  /** The super user of a secured broker (SCRAM-SHA-512), or null. */
  public Scram superUser() {
    return admin;
  }

  /** Creates a topic with replication factor 1; an existing topic of that name is left as is. */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  public void createTopic(String name, int partitions, Map<String, String> configs) {
    try (Admin admin = Admin.create(clientProperties())) {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + name, e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name + ": timed out", e);
    }
  }

  /** The last lines of the broker's log, for failure messages. */
  public String logTail(int lines) {
    if (logFile == null || !Files.exists(logFile)) {
      return "";
    }
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e.getMessage() + ")";
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 20 s) and deletes its working directory. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(20));
  }

  private synchronized void stop(Duration grace) {
    if (closed || process == null) {
      closed = true;
      return;
    }
    closed = true;
    try {
      // SIGTERM through the handle: Process.destroy() also closes stdin, which OrphanGuard takes
      // for a dead parent, cutting the broker's clean shutdown short.
      process.toHandle().destroy();
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      try {
        parentPipe.close();
      } catch (IOException ignored) {
        // the child is gone already
      }
      RUNNING.remove(this);
      Directories.deleteRecursively(workDir);
    }
  }

  /** The broker's classpath, written into this module's resources at build time. */
  static String brokerClasspath() {
    String jars;
    try (InputStream in = KafkaBroker.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            CLASSPATH_RESOURCE + " is missing: build corebus-local-cluster with Maven first");
      }
      jars = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> missing =
        Stream.of(jars.split(java.io.File.pathSeparator))
            .filter(j -> !Files.exists(Path.of(j)))
            .toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "Kafka broker jars are missing (was the Maven repository moved?): " + missing);
    }
    return ownLocation() + java.io.File.pathSeparator + jars;
  }

  private static String ownLocation() {
    try {
      return Path.of(OrphanGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void run(List<String> command, Path dir, Path log, Duration timeout) {
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within " + timeout);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "formatting the broker's storage failed ("
                + p.exitValue()
                + "): "
                + Files.readString(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }

  /** The SASL mechanism of a secured broker. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

  /** The user name of a secured broker's super user. */
  public static final String SUPER_USER = "admin";

  /** A SCRAM user name and password. */
  public record Scram(String user, String password) {
    static Scram generated(String user) {
      byte[] bytes = new byte[18];
      new java.security.SecureRandom().nextBytes(bytes);
      return new Scram(user, java.util.HexFormat.of().formatHex(bytes));
    }

    /** The client's sasl.jaas.config for this user. */
    public String jaasConfig() {
      return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
          + user
          + "\" password=\""
          + password
          + "\";";
    }
  }

  /** How to start a broker. */
  public static final class Options {
    private boolean secured;
    private String heap = "512m";
    private String host = "127.0.0.1";
    private String logLevel = "info";
    private Duration startupTimeout = Duration.ofSeconds(90);
    private Path parentDir = Path.of(System.getProperty("java.io.tmpdir"));
    private final Map<String, String> serverProperties = new LinkedHashMap<>();

    /** Maximum heap of the broker JVM, such as {@code 512m} (the default). */
    public Options heap(String heap) {
      this.heap = heap;
      return this;
    }

    /** Where the working directory is created (default: java.io.tmpdir). */
    public Options parentDir(Path parentDir) {
      this.parentDir = parentDir;
      return this;
    }

    /** SLF4J level of the broker's log file: trace, debug, info (default), warn, error. */
    public Options logLevel(String logLevel) {
      this.logLevel = logLevel;
      return this;
    }

    public Options startupTimeout(Duration startupTimeout) {
      this.startupTimeout = startupTimeout;
      return this;
    }

    /**
     * A secured broker: clients log in with SASL/SCRAM-SHA-512 over SASL_PLAINTEXT, the standard
     * authorizer enforces ACLs (nothing is allowed without one) and a generated super user ({@link
     * KafkaBroker#superUser()}) is created when the storage is formatted.
     */
    public Options secured() {
      this.secured = true;
      return this;
    }

    /** Adds or overrides a line of server.properties. */
    public Options serverProperty(String key, String value) {
      serverProperties.put(key, value);
      return this;
    }
  }

  private static final class PortTakenException extends IllegalStateException {
    PortTakenException(String log) {
      super("a port the broker wanted was taken meanwhile:\n" + log);
    }
  }
}
