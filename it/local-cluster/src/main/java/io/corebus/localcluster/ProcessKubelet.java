package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A kubelet without containers: it watches Pods and runs each container as a local process.
 *
 * <ul>
 *   <li>Scheduling: a pod with no {@code spec.nodeName} is bound to this kubelet's node (a Node
 *       object it registers); pods bound to other nodes are left alone.
 *   <li>Network: each pod gets its own loopback address {@code 127.0.x.y} (status.podIP); every pod
 *       can listen on the same ports. {@code QUARKUS_HTTP_HOST} and friends point there.
 *   <li>Command: see {@link ContainerCommand}; by default the plugin runtime's {@code
 *       quarkus-run.jar} with {@code -Xmx} from the container's memory limit.
 *   <li>Environment: env and envFrom with downward API, ConfigMap and Secret references.
 *   <li>Volumes: emptyDir, configMap, secret, downwardAPI, projected, in a directory per pod;
 *       ConfigMap and Secret changes are written at once with the kubelet's {@code ..data} symlink
 *       swap; env values naming a mount path point at the local directory instead.
 *   <li>Status: phase, conditions (Ready from the readiness probe), container statuses with restart
 *       counts; liveness and startup probes restart containers; restartPolicy with back-off.
 *   <li>Stopping: deleting a pod sends SIGTERM, then SIGKILL after the grace period; the kubelet
 *       then removes the pod object. Logs go to {@code <workDir>/pods/<namespace>_<pod>.log} and
 *       are served as {@code pods/log} by {@link LocalApiServer#servePodLogs}.
 * </ul>
 *
 * <p>Processes are stopped by {@link #close()}, by a JVM shutdown hook (Ctrl-C), and, if this JVM
 * is killed outright, by {@link OrphanGuard} in each child.
 */
public final class ProcessKubelet implements AutoCloseable {

  public static final String DEFAULT_NODE_NAME = "corebus-local";

  /** Where the runtime module builds its jar, relative to the repository root. */
  public static final String RUNTIME_JAR_PATH =
      "plugin-runtime-image/runtime/target/quarkus-app/quarkus-run.jar";

  private static final Logger LOG = Logger.getLogger(ProcessKubelet.class.getName());
  private static final String HOST_IP = "127.0.0.1";

  private final KubernetesClient client;
  private final Options options;
  private final LoopbackAddresses addresses;
  private final Path workDir;
  private final Path podsDir;
  private final boolean ownsWorkDir;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService lifecycle;
  private final Map<String, KubeletPod> pods = new ConcurrentHashMap<>();
  private final Map<String, Boolean> terminating = new ConcurrentHashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final Thread shutdownHook;
  private volatile boolean closed;

  private ProcessKubelet(KubernetesClient client, Options options, Path workDir, boolean owns) {
    this.client = client;
    this.options = options;
    this.workDir = workDir;
    this.ownsWorkDir = owns;
    this.podsDir = workDir.resolve("pods");
    this.addresses =
        new LoopbackAddresses(options.firstAddressBlock, 256 - options.firstAddressBlock);
    this.scheduler =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "kubelet-probes");
              t.setDaemon(true);
              return t;
            });
    this.lifecycle =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "kubelet-lifecycle");
              t.setDaemon(true);
              return t;
            });
    this.shutdownHook = new Thread(this::stopAllProcesses, "kubelet-shutdown");
  }

  /**
   * Registers the node and starts watching pods. Throws {@link IllegalStateException} when the OS
   * cannot bind pod addresses.
   */
  public static ProcessKubelet start(KubernetesClient client, Options options) {
    LoopbackAddresses.checkBindable("127.0." + options.firstAddressBlock + ".1");
    Path dir = options.workDir;
    boolean owns = false;
    try {
      if (dir == null) {
        dir = Files.createTempDirectory("corebus-kubelet-");
        owns = true;
      }
      Files.createDirectories(dir.resolve("pods"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the kubelet's directory", e);
    }
    ProcessKubelet kubelet = new ProcessKubelet(client, options, dir, owns);
    Runtime.getRuntime().addShutdownHook(kubelet.shutdownHook);
    try {
      kubelet.registerNode();
      kubelet.watch();
    } catch (RuntimeException e) {
      kubelet.close();
      throw e;
    }
    return kubelet;
  }

  private void registerNode() {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Quantity> capacity =
        Map.of(
            "cpu", new Quantity(String.valueOf(Runtime.getRuntime().availableProcessors())),
            "memory", new Quantity(totalMemoryMb() + "Mi"),
            "pods", new Quantity("250"));
    Node node =
        new NodeBuilder()
            .withNewMetadata()
            .withName(options.nodeName)
            .addToLabels("kubernetes.io/hostname", options.nodeName)
            .addToLabels("kubernetes.io/os", "linux")
            .addToLabels("kubernetes.io/arch", System.getProperty("os.arch"))
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .build();
    client.nodes().resource(node).createOr(n -> n.update());
    Map<String, Object> status =
        Map.of(
            "conditions",
            List.of(
                Map.of(
                    "type", "Ready",
                    "status", "True",
                    "reason", "KubeletReady",
                    "message", "process kubelet is ready (pods run as local processes)",
                    "lastHeartbeatTime", now,
                    "lastTransitionTime", now)),
            "addresses",
            List.of(
                Map.of("type", "InternalIP", "address", HOST_IP),
                Map.of("type", "Hostname", "address", options.nodeName)),
            "capacity",
            capacity,
            "allocatable",
            capacity,
            "nodeInfo",
            Map.of(
                "kubeletVersion", "v1.32.0-corebus-local",
                "kubeProxyVersion", "",
                "containerRuntimeVersion", "process://java-" + System.getProperty("java.version"),
                "operatingSystem", "linux",
                "architecture", System.getProperty("os.arch"),
                "osImage", System.getProperty("os.name") + " " + System.getProperty("os.version"),
                "kernelVersion", System.getProperty("os.version"),
                "machineID", "",
                "systemUUID", "",
                "bootID", ""));
    client
        .nodes()
        .withName(options.nodeName)
        .subresource("status")
        .patch(
            PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(Map.of("status", status)));
  }

  private static long totalMemoryMb() {
    try {
      var os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        return sun.getTotalMemorySize() / (1024 * 1024);
      }
    } catch (RuntimeException | LinkageError e) {
      // fall through
    }
    return 8192;
  }

  private void watch() {
    var podOps =
        options.namespace == null
            ? client.pods().inAnyNamespace()
            : client.pods().inNamespace(options.namespace);
    informers.add(
        podOps.inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Pod pod) {
                onPod(pod);
              }

              @Override
              public void onUpdate(Pod oldPod, Pod pod) {
                onPod(pod);
              }

              @Override
              public void onDelete(Pod pod, boolean finalStateUnknown) {
                onPodGone(pod);
              }
            }));
    var cmOps =
        options.namespace == null
            ? client.configMaps().inAnyNamespace()
            : client.configMaps().inNamespace(options.namespace);
    informers.add(cmOps.inform(sourceHandler("ConfigMap")));
    var secretOps =
        options.namespace == null
            ? client.secrets().inAnyNamespace()
            : client.secrets().inNamespace(options.namespace);
    informers.add(secretOps.inform(sourceHandler("Secret")));
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata>
      ResourceEventHandler<T> sourceHandler(String kind) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        changed(obj);
      }

      @Override
      public void onUpdate(T oldObj, T obj) {
        changed(obj);
      }

      @Override
      public void onDelete(T obj, boolean finalStateUnknown) {
        // as on a cluster, a deleted ConfigMap leaves the files of running pods in place
      }

      private void changed(T obj) {
        String ns = obj.getMetadata().getNamespace();
        String name = obj.getMetadata().getName();
        for (KubeletPod pod : pods.values()) {
          if (pod.namespace().equals(ns) && pod.usesVolumeSource(kind, name)) {
            if (pod.refreshVolumes()) {
              LOG.fine("pod " + ns + "/" + pod.name() + ": " + kind + " " + name + " written");
            }
          }
        }
      }
    };
  }

  private void onPod(Pod pod) {
    if (closed) {
      return;
    }
    String uid = pod.getMetadata().getUid();
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    boolean unbound = node == null || node.isEmpty();
    if (!unbound && !node.equals(options.nodeName)) {
      return;
    }
    KubeletPod running = pods.get(uid);
    if (running != null) {
      running.update(pod);
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        terminate(running, true);
      }
      return;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      if (!unbound) {
        lifecycle.execute(
            () ->
                removePodObject(
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName(), uid));
      }
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return;
    }
    if (unbound && !bind(pod)) {
      return;
    }
    pod.getSpec().setNodeName(options.nodeName);
    KubeletPod created = new KubeletPod(this, pod);
    if (pods.putIfAbsent(uid, created) == null) {
      LOG.info(
          "starting pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName());
      created.start();
    }
  }

  /** Sets spec.nodeName, as the scheduler's binding would. */
  private boolean bind(Pod pod) {
    try {
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"spec\":{\"nodeName\":\"" + options.nodeName + "\"}}");
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        LOG.log(Level.WARNING, "cannot bind pod " + pod.getMetadata().getName(), e);
      }
      return false;
    }
  }

  private void onPodGone(Pod pod) {
    KubeletPod running = pods.get(pod.getMetadata().getUid());
    if (running != null) {
      running.update(pod);
      terminate(running, false);
    }
  }

  /** Stops the pod in the background; then frees it and, if asked, removes the pod object. */
  private void terminate(KubeletPod pod, boolean removeObject) {
    if (terminating.putIfAbsent(pod.uid(), Boolean.TRUE) != null) {
      return;
    }
    lifecycle.execute(
        () -> {
          try {
            LOG.info(
                "stopping pod "
                    + pod.namespace()
                    + "/"
                    + pod.name()
                    + " (grace "
                    + pod.gracePeriod()
                    + ")");
            pod.stop(pod.gracePeriod());
          } finally {
            pod.release();
            pods.remove(pod.uid());
            terminating.remove(pod.uid());
            if (removeObject && !closed) {
              removePodObject(pod.namespace(), pod.name(), pod.uid());
            }
          }
        });
  }

  /** The final delete (grace 0) the kubelet sends once a terminating pod's processes are gone. */
  private void removePodObject(String namespace, String name, String uid) {
    try {
      Pod current = client.pods().inNamespace(namespace).withName(name).get();
      if (current != null && uid.equals(current.getMetadata().getUid())) {
        client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
      }
    } catch (KubernetesClientException e) {
      LOG.log(Level.INFO, "cannot remove pod " + namespace + "/" + name, e);
    }
  }

  // --- what pods use -------------------------------------------------------------------------

  KubernetesClient client() {
    return client;
  }

  Options options() {
    return options;
  }

  LoopbackAddresses addresses() {
    return addresses;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  Path podsDir() {
    return podsDir;
  }

  String hostIp() {
    return HOST_IP;
  }

  Optional<ConfigMap> configMap(String namespace, String name) {
    return Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(name).get());
  }

  Optional<Secret> secret(String namespace, String name) {
    return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
  }

  // --- public API ----------------------------------------------------------------------------

  public String nodeName() {
    return options.nodeName;
  }

  /** The kubelet's working directory; pods live in {@code pods/} below it. */
  public Path workDir() {
    return workDir;
  }

  /** The address of a pod this kubelet runs now. */
  public Optional<String> podIp(String namespace, String pod) {
    return find(namespace, pod).flatMap(KubeletPod::ip);
  }

  /** The directory of a pod this kubelet runs now (volumes, tmp). */
  public Optional<Path> podDirectory(String namespace, String pod) {
    return find(namespace, pod).map(KubeletPod::dir);
  }

  /** Where the output of a pod's containers goes; it stays after the pod is deleted. */
  public Path logFile(String namespace, String pod) {
    return podsDir.resolve(namespace + "_" + pod + ".log");
  }

  /** The output of the pod's containers so far (stdout and stderr), or "" if there is none. */
  public String logs(String namespace, String pod) {
    Path file = logFile(namespace, pod);
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** For {@link LocalApiServer#servePodLogs}: {@code kubectl logs} reads these files. */
  public LocalApiServer.PodLogSource logSource() {
    return (namespace, pod) -> {
      Path file = logFile(namespace, pod);
      return Files.exists(file) ? Optional.of(file) : Optional.empty();
    };
  }

  /** How many pods have processes (or are starting or stopping them). */
  public int runningPods() {
    return pods.size();
  }

  private Optional<KubeletPod> find(String namespace, String pod) {
    return pods.values().stream()
        .filter(p -> p.namespace().equals(namespace) && p.name().equals(pod))
        .filter(p -> !terminating.containsKey(p.uid()))
        .findFirst()
        .or(
            () ->
                pods.values().stream()
                    .filter(p -> p.namespace().equals(namespace) && p.name().equals(pod))
                    .findFirst());
  }

  /**
   * Stops watching, stops every pod (SIGTERM, SIGKILL after its grace period, at most {@link
   * Options#shutdownGrace}) and removes the node. Pod objects stay in the API server.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    informers.forEach(SharedIndexInformer::close);
    stopAllProcesses();
    try {
      client.nodes().withName(options.nodeName).delete();
    } catch (RuntimeException e) {
      // the API server may be gone already
    }
    scheduler.shutdownNow();
    lifecycle.shutdownNow();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down
    }
    if (ownsWorkDir) {
      Directories.deleteRecursively(workDir);
    }
  }

  private void stopAllProcesses() {
    closed = true;
    List<Thread> stoppers = new ArrayList<>();
    for (KubeletPod pod : pods.values()) {
      Duration grace = pod.gracePeriod();
      if (grace.compareTo(options.shutdownGrace) > 0) {
        grace = options.shutdownGrace;
      }
      Duration g = grace;
      Thread t =
          new Thread(
              () -> {
                pod.stop(g);
                pod.release();
              },
              "kubelet-stop-" + pod.name());
      stoppers.add(t);
      t.start();
    }
    for (Thread t : stoppers) {
      try {
        t.join(options.shutdownGrace.toMillis() + 20_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    pods.clear();
  }

  /** How to run pods. */
  public static final class Options {
    Path workDir;
    String namespace;
    String nodeName = DEFAULT_NODE_NAME;
    ContainerCommand command;
    String defaultHeap = "256m";
    String maxHeap = "512m";
    Duration restartBackoff = Duration.ofSeconds(1);
    Duration maxRestartBackoff = Duration.ofSeconds(30);
    Duration eagerProbePeriod = Duration.ofSeconds(1);
    Duration shutdownGrace = Duration.ofSeconds(10);
    int firstAddressBlock = 1;

    public Options() {
      Path jar = findRuntimeJar(null);
      this.command = ContainerCommand.runtimeJar(jar);
    }

    /** The runtime jar under the repository root that holds the working directory, or below it. */
    static Path findRuntimeJar(Path repositoryRoot) {
      if (repositoryRoot != null) {
        return repositoryRoot.resolve(RUNTIME_JAR_PATH);
      }
      for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
        if (Files.isRegularFile(dir.resolve("mvnw"))
            && Files.isDirectory(dir.resolve("plugin-runtime-image"))) {
          return dir.resolve(RUNTIME_JAR_PATH);
        }
      }
      return Path.of(RUNTIME_JAR_PATH).toAbsolutePath();
    }

    /** Where pod directories and logs go (default: a temporary directory removed on close). */
    public Options workDir(Path workDir) {
      this.workDir = workDir;
      return this;
    }

    /** Runs only pods of this namespace (default: all namespaces). */
    public Options namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /** The node this kubelet registers and binds pods to (default {@value #DEFAULT_NODE_NAME}). */
    public Options nodeName(String nodeName) {
      this.nodeName = nodeName;
      return this;
    }

    /**
     * Runs every container from this plugin runtime jar (the default: {@value #RUNTIME_JAR_PATH} in
     * the repository).
     */
    public Options runtimeJar(Path jar) {
      this.command = ContainerCommand.runtimeJar(jar);
      return this;
    }

    /** How containers become processes (replaces {@link #runtimeJar}). */
    public Options command(ContainerCommand command) {
      this.command = command;
      return this;
    }

    /** -Xmx for containers without a memory limit (default 256m). */
    public Options defaultHeap(String heap) {
      this.defaultHeap = heap;
      return this;
    }

    /** Largest -Xmx derived from a memory limit (default 512m). */
    public Options maxHeap(String heap) {
      this.maxHeap = heap;
      return this;
    }

    long maxHeapMb() {
      return Quantity.getAmountInBytes(new Quantity(maxHeap.replace("m", "Mi").replace("g", "Gi")))
              .longValue()
          / (1024 * 1024);
    }

    /** First and largest wait before restarting a container (default 1 s, doubling up to 30 s). */
    public Options restartBackoff(Duration first, Duration max) {
      this.restartBackoff = first;
      this.maxRestartBackoff = max;
      return this;
    }

    /**
     * How often readiness and startup probes run until they first pass (default 1 s, or the probe's
     * periodSeconds if shorter); afterwards they run every periodSeconds.
     */
    public Options eagerProbePeriod(Duration period) {
      this.eagerProbePeriod = period;
      return this;
    }

    /** The longest grace period {@link #close()} gives a pod (default 10 s). */
    public Options shutdownGrace(Duration grace) {
      this.shutdownGrace = grace;
      return this;
    }

    /** Pod addresses start at 127.0.{block}.1 (default 1). */
    public Options firstAddressBlock(int block) {
      this.firstAddressBlock = block;
      return this;
    }
  }
}
