package io.corebus.localcluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

/**
 * A whole Corebus cluster on one machine, without Kubernetes or Docker: the real Kafka broker
 * ({@link KafkaBroker}), an API server ({@link LocalApiServer}) with the Plugin CRD, a kubelet that
 * runs pods as local JVMs ({@link ProcessKubelet}), and, if asked, the real operator as a child
 * process pointed at both.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.start(workDir, new LocalCluster.Options().withOperator())) {
 *   cluster.client().resources(Plugin.class).resource(plugin).create();
 *   ... cluster.kubeconfig(), cluster.bootstrapServers(), cluster.logs("greeter-0") ...
 * }
 * }</pre>
 *
 * <p>Everything it writes lives under the working directory: {@code kubeconfig}, {@code
 * operator.log}, {@code pods/<namespace>_<pod>.log}, the broker's data. Ports are free ones; heaps
 * are explicit. Run {@link #main} for a cluster that stays up until Ctrl-C.
 */
public final class LocalCluster implements AutoCloseable {

  /** Where the operator module builds its jar, relative to the repository root. */
  public static final String OPERATOR_JAR_PATH = "operator/target/quarkus-app/quarkus-run.jar";

  /** With this set (a kubeconfig file), {@link #startOrConnect} uses that cluster instead. */
  public static final String EXTERNAL_KUBECONFIG_ENV = "COREBUS_IT_KUBECONFIG";

  private final Path workDir;
  private final KafkaBroker kafka;
  private final LocalApiServer apiServer;
  private final ProcessKubelet kubelet;
  private final KubernetesClient client;
  private final Path kubeconfig;
  private final String namespace;
  private volatile Process operator;
  private final List<OperatorReplica> operatorReplicas = new CopyOnWriteArrayList<>();
  private final Path operatorLog;
  private volatile boolean closed;

  private LocalCluster(
      Path workDir,
      KafkaBroker kafka,
      LocalApiServer apiServer,
      ProcessKubelet kubelet,
      KubernetesClient client,
      Path kubeconfig,
      String namespace) {
    this.workDir = workDir;
    this.kafka = kafka;
    this.apiServer = apiServer;
    this.kubelet = kubelet;
    this.client = client;
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
    this.operatorLog = workDir == null ? null : workDir.resolve("operator.log");
  }

  /**
   * Starts Kafka, the API server, the kubelet and (with {@link Options#withOperator}) the operator,
   * in that order, and returns when all are ready. On failure, whatever started is stopped again.
   */
  public static LocalCluster start(Path workDir, Options options) {
    try {
      Files.createDirectories(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + workDir, e);
    }
    List<AutoCloseable> started = new ArrayList<>();
    try {
      KafkaBroker kafka = null;
      if (options.kafka) {
        KafkaBroker.Options brokerOptions =
            new KafkaBroker.Options().parentDir(workDir).heap(options.kafkaHeap);
        if (options.securedBus) {
          brokerOptions.secured();
        }
        kafka = KafkaBroker.startOrConnect(brokerOptions);
        started.add(kafka);
      }
      LocalApiServer api =
          LocalApiServer.start(
              new LocalApiServer.Options()
                  .namespace(options.namespace)
                  .port(options.apiPort)
                  .repositoryRoot(options.repositoryRoot)
                  .kubeconfig(workDir.resolve("kubeconfig")));
      started.add(api);
      ProcessKubelet.Options kubeletOptions = options.kubelet.workDir(workDir);
      if (options.customCommand) {
        // the caller's ContainerCommand stays
      } else if (options.runtimeJar != null) {
        kubeletOptions.runtimeJar(options.runtimeJar);
      } else if (options.repositoryRoot != null) {
        kubeletOptions.runtimeJar(ProcessKubelet.Options.findRuntimeJar(options.repositoryRoot));
      }
      ProcessKubelet kubelet = ProcessKubelet.start(api.client(), kubeletOptions);
      started.add(kubelet);
      api.servePodLogs(kubelet.logSource());
      LocalCluster cluster =
          new LocalCluster(
              workDir, kafka, api, kubelet, api.client(), api.kubeconfig(), options.namespace);
      if (options.operator) {
        cluster.startOperator(options);
      }
      return cluster;
    } catch (RuntimeException e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /**
   * A real cluster when {@value #EXTERNAL_KUBECONFIG_ENV} names a kubeconfig (Kafka then from
   * {@value KafkaBroker#EXTERNAL_BOOTSTRAP_ENV}, which must be set too), else a local one.
   */
  public static LocalCluster startOrConnect(Path workDir, Options options) {
    String external = System.getenv(EXTERNAL_KUBECONFIG_ENV);
    if (external == null || external.isBlank()) {
      return start(workDir, options);
    }
    String bootstrap =
        KafkaBroker.externalBootstrap()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        EXTERNAL_KUBECONFIG_ENV
                            + " is set, so tests run against that cluster; set "
                            + KafkaBroker.EXTERNAL_BOOTSTRAP_ENV
                            + " to its Kafka bootstrap servers too"));
    try {
      Path file = Path.of(external);
      Config config = Config.fromKubeconfig(Files.readString(file));
      KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
      String ns = config.getNamespace() == null ? options.namespace : config.getNamespace();
      return new LocalCluster(
          workDir, KafkaBroker.connectTo(bootstrap), null, null, client, file, ns);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + external, e);
    }
  }

  // --- operator ------------------------------------------------------------------------------

  private void startOperator(Options options) {
    if (options.operatorReplicas > 1) {
      startOperatorReplicas(options);
      return;
    }
    // One operator, and no leader election: QOSDK fixes the profiles that elect a leader at build
    // time (prod), so the operator runs in a profile of its own, which has no other settings.
    int httpPort = freePort();
    operator =
        launchOperator(options, httpPort, Map.of("QUARKUS_PROFILE", "local-cluster"), operatorLog);
    if (options.awaitOperator) {
      awaitOperator(operator, httpPort, "ready", operatorLog, options.operatorStartupTimeout);
    }
  }

  /**
   * Several operators electing a leader through the Lease (corebus.leader-election.lease-name), as
   * the chart's Deployment runs them with replicaCount > 1: the prod profile, where QOSDK activates
   * leader election, each with its own HOSTNAME (JOSDK's identity in the Lease, the pod name in
   * Kubernetes), ports and log. start() waits for each one's /q/health/started only: whether a
   * standby is ready is for the caller to find out.
   */
  private void startOperatorReplicas(Options options) {
    for (int i = 0; i < options.operatorReplicas; i++) {
      String identity = "corebus-operator-" + i;
      Path log = workDir.resolve("operator-" + i + ".log");
      int httpPort = freePort();
      Process p =
          launchOperator(
              options, httpPort, Map.of("QUARKUS_PROFILE", "prod", "HOSTNAME", identity), log);
      operatorReplicas.add(new OperatorReplica(identity, p, httpPort, log));
    }
    if (options.awaitOperator) {
      for (OperatorReplica r : operatorReplicas) {
        awaitOperator(
            r.process(), r.httpPort(), "started", r.log(), options.operatorStartupTimeout);
      }
    }
  }

  private Process launchOperator(
      Options options, int httpPort, Map<String, String> profileEnv, Path log) {
    Path jar =
        options.operatorJar != null
            ? options.operatorJar
            : (options.repositoryRoot != null ? options.repositoryRoot : repositoryRoot())
                .resolve(OPERATOR_JAR_PATH);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "the operator jar "
              + jar
              + " does not exist: build it with ./mvnw -pl operator -am package -DskipTests");
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("KUBECONFIG", kubeconfig.toString());
    if (kafka != null) {
      // The operator reads corebus.kafka.bootstrap-servers; the other two are the runtime's name
      // (what stand-in operators in tests pass on) and the plain Kafka convention.
      env.put("COREBUS_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
      env.put("COREBUS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
      env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    }
    // The mock API server answers server-side apply with 415.
    env.put("QUARKUS_OPERATOR_SDK_ENABLE_SSA", "false");
    env.putAll(profileEnv);
    env.put("QUARKUS_DEVSERVICES_ENABLED", "false");
    env.put("QUARKUS_KUBERNETES_CLIENT_DEVSERVICES_ENABLED", "false");
    // Not 0.0.0.0:8080: a wildcard listener on 8080 would keep every pod from binding 8080.
    env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
    env.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
    env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
    env.put("QUARKUS_MANAGEMENT_PORT", String.valueOf(freePort()));
    env.putAll(options.operatorEnv);

    String mainClass;
    try (JarFile file = new JarFile(jar.toFile())) {
      mainClass = file.getManifest().getMainAttributes().getValue("Main-Class");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.operatorHeap);
    command.add("-XX:+UseSerialGC");
    if (kafka != null && kafka.isSecured()) {
      // The operator logs in as the broker's super user and manages the plug-ins' principals.
      // The password goes through a file, not the command line.
      Path password = workDir.resolve("operator-kafka-password");
      try {
        Files.writeString(password, kafka.superUser().password());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      command.add("-Dcorebus.kafka.security-protocol=SASL_PLAINTEXT");
      command.add("-Dcorebus.kafka.sasl.mechanism=" + KafkaBroker.SCRAM_MECHANISM);
      command.add("-Dcorebus.kafka.sasl.username=" + kafka.superUser().user());
      command.add("-Dcorebus.kafka.sasl.password-file=" + password);
      command.add("-Dcorebus.kafka.security.manage-principals=true");
    }
    options.operatorProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add("-cp");
    command.add(jar + File.pathSeparator + ContainerCommand.guardLocation());
    command.add(OrphanGuard.class.getName());
    command.add(mainClass);
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("QUARKUS_") || k.startsWith("COREBUS_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(Redirect.appendTo(log.toFile()));
    try {
      return pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the operator", e);
    }
  }

  private static void awaitOperator(
      Process operator, int port, String check, Path operatorLog, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/" + check);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!operator.isAlive()) {
        throw new IllegalStateException(
            "the operator exited with " + operator.exitValue() + ":\n" + tail(operatorLog, 40));
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the operator", e);
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the operator", e);
      }
    }
    throw new IllegalStateException(
        "the operator's /q/health/"
            + check
            + " did not answer 200 within "
            + timeout
            + ":\n"
            + tail(operatorLog, 40));
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("crds"))) {
        return dir;
      }
    }
    return Path.of("").toAbsolutePath();
  }

  static String tail(Path file, int lines) {
    if (file == null || !Files.exists(file)) {
      return "";
    }
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ")";
    }
  }

  // --- accessors -----------------------------------------------------------------------------

  /** Whether this cluster runs here (false when {@link #startOrConnect} found a real one). */
  public boolean isLocal() {
    return apiServer != null;
  }

  public Path workDir() {
    return workDir;
  }

  /** The broker; null when started with {@code kafka(false)}. */
  public KafkaBroker kafka() {
    return kafka;
  }

  public String bootstrapServers() {
    if (kafka == null) {
      throw new IllegalStateException("this cluster runs without Kafka");
    }
    return kafka.bootstrapServers();
  }

  /** The local API server; empty against a real cluster. */
  public Optional<LocalApiServer> apiServer() {
    return Optional.ofNullable(apiServer);
  }

  /** The kubelet; empty against a real cluster. */
  public Optional<ProcessKubelet> kubelet() {
    return Optional.ofNullable(kubelet);
  }

  /** A client for the cluster; closed with it. */
  public KubernetesClient client() {
    return client;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  /** The kubeconfig's namespace. */
  public String namespace() {
    return namespace;
  }

  /** The operator process, if this cluster started one and it still runs. */
  public Optional<ProcessHandle> operator() {
    Process p = operator;
    return p != null && p.isAlive() ? Optional.of(p.toHandle()) : Optional.empty();
  }

  /** The operators of {@link Options#operatorReplicas} (n > 1), in start order; else empty. */
  public List<OperatorReplica> operatorReplicas() {
    return List.copyOf(operatorReplicas);
  }

  /** The operator's output (stdout and stderr). */
  public Path operatorLog() {
    return operatorLog;
  }

  /** A pod's output in the kubeconfig's namespace (see {@link ProcessKubelet#logs}). */
  public String logs(String pod) {
    return logs(namespace, pod);
  }

  public String logs(String namespace, String pod) {
    if (kubelet != null) {
      return kubelet.logs(namespace, pod);
    }
    return client.pods().inNamespace(namespace).withName(pod).getLog();
  }

  /** Stops the operator, every pod, the API server and the broker, in that order. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Process p = operator;
    if (p != null) {
      stopProcess(p, Duration.ofSeconds(20));
    }
    for (OperatorReplica r : operatorReplicas) {
      r.stop(Duration.ofSeconds(20));
    }
    if (kubelet != null) {
      kubelet.close();
    }
    if (apiServer != null) {
      apiServer.close();
    } else {
      client.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  /**
   * SIGTERM (keeping stdin open for OrphanGuard), SIGKILL after {@code grace}, then stdin closed.
   */
  static void stopProcess(Process p, Duration grace) {
    if (p.isAlive()) {
      KubeletPod.signal(p, false);
      try {
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          KubeletPod.signal(p, true);
          p.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        KubeletPod.signal(p, true);
        Thread.currentThread().interrupt();
      }
    }
    try {
      OutputStream stdin = p.getOutputStream();
      stdin.close();
    } catch (IOException ignored) {
      // gone
    }
  }

  // --- command line --------------------------------------------------------------------------

  /**
   * {@code LocalCluster [--work-dir DIR] [--namespace NS] [--api-port PORT] [--operator [JAR]]
   * [--runtime-jar JAR] [--set KEY=VALUE]...}: starts a cluster, prints where its kubeconfig is,
   * and runs until Ctrl-C. {@code LocalCluster logs POD [--namespace NS] [--work-dir DIR]} prints a
   * pod's log, also after the cluster stopped.
   */
  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    // The admin client warns about every refused connection while the broker starts.
    if (System.getProperty("org.slf4j.simpleLogger.log.org.apache.kafka") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    }
    Path workDir = Path.of("target", "local-cluster");
    Options options = new Options();
    String logsOf = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "logs" -> logsOf = args[++i];
        case "--work-dir" -> workDir = Path.of(args[++i]);
        case "--namespace" -> options.namespace(args[++i]);
        case "--api-port" -> options.apiPort(Integer.parseInt(args[++i]));
        case "--runtime-jar" -> options.runtimeJar(Path.of(args[++i]));
        case "--no-kafka" -> options.kafka(false);
        case "--operator" -> {
          options.withOperator();
          if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
            options.operatorJar(Path.of(args[++i]));
          }
        }
        case "--set" -> {
          String[] kv = args[++i].split("=", 2);
          options.operatorEnv(kv[0], kv.length > 1 ? kv[1] : "");
        }
        case "-h", "--help" -> {
          System.out.println(
              "usage: LocalCluster [--work-dir DIR] [--namespace NS] [--api-port PORT]"
                  + " [--operator [JAR]] [--runtime-jar JAR] [--no-kafka] [--set ENV=VALUE]...\n"
                  + "       LocalCluster logs POD [--namespace NS] [--work-dir DIR]");
          return;
        }
        default -> {
          System.err.println("unknown argument " + a + " (try --help)");
          System.exit(2);
        }
      }
    }
    if (logsOf != null) {
      Path file = workDir.resolve("pods").resolve(options.namespace + "_" + logsOf + ".log");
      if (!Files.exists(file)) {
        System.err.println(
            "no log for pod " + options.namespace + "/" + logsOf + " (" + file + ")");
        System.exit(1);
      }
      Files.copy(file, System.out);
      return;
    }
    LocalCluster cluster = start(workDir.toAbsolutePath(), options);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("\nstopping the local cluster...");
                  cluster.close();
                  stopped.countDown();
                },
                "local-cluster-stop"));
    System.out.println(
        """

        Corebus local cluster is up.
          kubeconfig : %s
                       export KUBECONFIG=%s
          API server : %s
          Kafka      : %s
          operator   : %s
          pod logs   : kubectl logs <pod>, or %s/pods/<namespace>_<pod>.log
        Ctrl-C stops everything.
        """
            .formatted(
                cluster.kubeconfig(),
                cluster.kubeconfig(),
                cluster.apiServer.url(),
                cluster.kafka == null ? "(none)" : cluster.kafka.bootstrapServers(),
                cluster.operator == null
                    ? "not started (--operator starts it)"
                    : "pid " + cluster.operator.pid() + ", log " + cluster.operatorLog,
                cluster.workDir));
    stopped.await();
  }

  /** What to start, and how. */
  public static final class Options {
    private String namespace = "default";
    private int apiPort;
    private boolean kafka = true;
    private boolean securedBus;
    private String kafkaHeap = "512m";
    private boolean operator;
    private Path operatorJar;
    private String operatorHeap = "256m";
    private boolean awaitOperator = true;
    private int operatorReplicas = 1;
    private Duration operatorStartupTimeout = Duration.ofSeconds(90);
    private final Map<String, String> operatorEnv = new LinkedHashMap<>();
    private final Map<String, String> operatorProperties = new LinkedHashMap<>();
    private Path runtimeJar;
    private Path repositoryRoot;
    private boolean customCommand;
    private final ProcessKubelet.Options kubelet = new ProcessKubelet.Options();

    /** The kubeconfig's namespace (default {@code default}); created at start. */
    public Options namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /** The API server's port (default: a free one). */
    public Options apiPort(int port) {
      this.apiPort = port;
      return this;
    }

    /** Whether to start the Kafka broker (default true). */
    public Options kafka(boolean start) {
      this.kafka = start;
      return this;
    }

    /**
     * A secured bus: the broker requires SASL/SCRAM and ACLs ({@link
     * KafkaBroker.Options#secured()}) and the operator manages a principal, ACLs and signing keys
     * per plug-in (see docs/security.md). Off by default.
     */
    public Options securedBus() {
      this.securedBus = true;
      return this;
    }

    public Options kafkaHeap(String heap) {
      this.kafkaHeap = heap;
      return this;
    }

    /** Starts the operator ({@value #OPERATOR_JAR_PATH} unless {@link #operatorJar} says). */
    public Options withOperator() {
      this.operator = true;
      return this;
    }

    public Options operatorJar(Path jar) {
      this.operator = true;
      this.operatorJar = jar;
      return this;
    }

    /**
     * Starts {@code n} operators that elect a leader through the Lease, as the chart's Deployment
     * with {@code replicaCount: n} (see {@link LocalCluster#operatorReplicas()}). The default, 1,
     * runs one operator without leader election.
     */
    public Options operatorReplicas(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("operatorReplicas must be at least 1: " + n);
      }
      this.operator = true;
      this.operatorReplicas = n;
      return this;
    }

    /** -Xmx of the operator (default 256m). */
    public Options operatorHeap(String heap) {
      this.operatorHeap = heap;
      return this;
    }

    /**
     * An environment variable of the operator process, such as {@code COREBUS_RUNTIME_IMAGE}; it
     * overrides the defaults ({@code KUBECONFIG}, {@code COREBUS_KAFKA_BOOTSTRAP}, {@code
     * QUARKUS_OPERATOR_SDK_ENABLE_SSA=false}, {@code QUARKUS_HTTP_HOST/PORT}).
     */
    public Options operatorEnv(String name, String value) {
      operatorEnv.put(name, value);
      return this;
    }

    /** Adds every entry as an environment variable of the operator. */
    public Options operatorEnv(Map<String, String> env) {
      operatorEnv.putAll(env);
      return this;
    }

    /** A system property of the operator JVM ({@code -Dkey=value}). */
    public Options operatorProperty(String key, String value) {
      operatorProperties.put(key, value);
      return this;
    }

    /** Whether start() waits for the operator's /q/health/ready (default true, 90 s). */
    public Options awaitOperator(boolean await, Duration timeout) {
      this.awaitOperator = await;
      this.operatorStartupTimeout = timeout;
      return this;
    }

    /** The plugin runtime jar every pod runs (default: the repository's build output). */
    public Options runtimeJar(Path jar) {
      this.runtimeJar = jar;
      return this;
    }

    /** How the kubelet turns containers into processes (replaces {@link #runtimeJar}). */
    public Options containerCommand(ContainerCommand command) {
      kubelet.command(command);
      customCommand = true;
      return this;
    }

    /** Where the CRD and the jars are looked for (default: found above the working directory). */
    public Options repositoryRoot(Path root) {
      this.repositoryRoot = root;
      return this;
    }

    /** Further kubelet settings (heaps, back-off, probe periods); its workDir is the cluster's. */
    public ProcessKubelet.Options kubelet() {
      return kubelet;
    }
  }
}
