package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One pod on the process kubelet: its loopback address, directory, volumes, one process per
 * container (init containers first, one after the other), probes, restarts with back-off, and the
 * status it reports to the API server.
 */
final class KubeletPod {

  private static final Logger LOG = Logger.getLogger(KubeletPod.class.getName());
  private static final long MIN_HEAP_MB = 64;

  private final ProcessKubelet kubelet;
  private final String uid;
  private final String namespace;
  private final String name;
  private volatile Pod pod;
  private final Path dir;
  private final Path tmpDir;
  private final Path logFile;
  private final Instant startTime = Instant.now();
  private final List<ContainerRun> inits = new ArrayList<>();
  private final List<ContainerRun> apps = new ArrayList<>();
  private final Map<String, PodCondition> conditions = new LinkedHashMap<>();
  private final CountDownLatch stopSignal = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile boolean initialized;
  private volatile String ip;
  private volatile Map<String, Path> volumes = Map.of();
  private String lastPublished;
  private Thread supervisor;

  KubeletPod(ProcessKubelet kubelet, Pod pod) {
    this.kubelet = kubelet;
    this.pod = pod;
    this.uid = pod.getMetadata().getUid();
    this.namespace = pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    String base = namespace + "_" + name;
    this.dir = kubelet.podsDir().resolve(base + "_" + shortUid(uid));
    this.tmpDir = dir.resolve("tmp");
    this.logFile = kubelet.podsDir().resolve(base + ".log");
    if (pod.getSpec().getInitContainers() != null) {
      pod.getSpec().getInitContainers().forEach(c -> inits.add(new ContainerRun(c, true)));
    }
    pod.getSpec().getContainers().forEach(c -> apps.add(new ContainerRun(c, false)));
  }

  /** The uid's last 8 characters (the mock server's uids differ only at the end). */
  private static String shortUid(String uid) {
    if (uid == null) {
      return "nouid";
    }
    String plain = uid.replace("-", "");
    return plain.substring(Math.max(0, plain.length() - 8));
  }

  /**
   * SIGTERM (or SIGKILL) to a process and its children, through its ProcessHandle: {@link
   * Process#destroy()} would also close the child's stdin, which {@link OrphanGuard} takes for the
   * death of its parent, so the child would exit at once instead of draining.
   */
  static void signal(Process p, boolean kill) {
    p.descendants()
        .forEach(
            d -> {
              if (kill) {
                d.destroyForcibly();
              } else {
                d.destroy();
              }
            });
    if (kill) {
      p.toHandle().destroyForcibly();
    } else {
      p.toHandle().destroy();
    }
  }

  String uid() {
    return uid;
  }

  String namespace() {
    return namespace;
  }

  String name() {
    return name;
  }

  Optional<String> ip() {
    return Optional.ofNullable(ip);
  }

  Path logFile() {
    return logFile;
  }

  Path dir() {
    return dir;
  }

  /** The pod as the informer last saw it. */
  void update(Pod latest) {
    this.pod = latest;
  }

  boolean isDone() {
    return done.getCount() == 0;
  }

  // --- lifecycle -----------------------------------------------------------------------------

  void start() {
    supervisor = new Thread(this::run, "kubelet-pod-" + namespace + "/" + name);
    supervisor.setDaemon(true);
    supervisor.start();
  }

  private void run() {
    try {
      ip = kubelet.addresses().allocate();
      prepareDirectories();
      conditions.put("PodScheduled", condition("PodScheduled", true, null));
      publish();
      while (!stopping) {
        try {
          volumes = materializeVolumes();
          break;
        } catch (VolumeError e) {
          LOG.info("pod " + namespace + "/" + name + ": " + e.getMessage());
          inits.forEach(r -> r.waiting("ContainerCreating", e.getMessage()));
          apps.forEach(r -> r.waiting("ContainerCreating", e.getMessage()));
          publish();
          if (pause(Duration.ofSeconds(2))) {
            return;
          }
        }
      }
      for (ContainerRun init : inits) {
        if (stopping) {
          return;
        }
        init.loop();
        if (!init.succeeded()) {
          publish();
          return;
        }
      }
      initialized = true;
      publish();
      List<Thread> threads = new ArrayList<>();
      for (ContainerRun app : apps) {
        Thread t = new Thread(app::loop, "kubelet-" + namespace + "/" + name + "/" + app.name());
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      publish();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "pod " + namespace + "/" + name + " failed in the kubelet", e);
    } finally {
      done.countDown();
    }
  }

  /**
   * Stops the pod: SIGTERM to every container process, SIGKILL to those still running after {@code
   * grace}. Returns when all processes are gone.
   */
  void stop(Duration grace) {
    stopping = true;
    stopSignal.countDown();
    List<ContainerRun> all = new ArrayList<>(inits);
    all.addAll(apps);
    all.forEach(ContainerRun::terminate);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ContainerRun r : all) {
      r.awaitExit(deadline);
    }
    all.forEach(ContainerRun::kill);
    try {
      if (!done.await(15, TimeUnit.SECONDS)) {
        LOG.warning("pod " + namespace + "/" + name + " did not wind down in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Frees the pod's address and directory once it is gone; the log stays. */
  void release() {
    if (ip != null) {
      kubelet.addresses().release(ip);
    }
    Directories.deleteRecursively(dir);
  }

  /** How long the pod may take to stop: deletionGracePeriodSeconds, else its spec, else 30 s. */
  Duration gracePeriod() {
    Pod p = pod;
    Long seconds = p.getMetadata().getDeletionGracePeriodSeconds();
    if (seconds == null) {
      seconds = p.getSpec().getTerminationGracePeriodSeconds();
    }
    return Duration.ofSeconds(seconds == null ? 30 : Math.max(0, seconds));
  }

  private boolean pause(Duration d) {
    try {
      return stopSignal.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private void prepareDirectories() {
    try {
      Files.createDirectories(tmpDir);
      Files.createDirectories(dir.resolve("termination"));
      if (Files.exists(logFile)) {
        // The log of an earlier pod of the same name: keep it next to this one.
        Files.move(
            logFile,
            logFile.resolveSibling(namespace + "_" + name + "_" + shortUid(previousUid()) + ".log"),
            StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(logFile, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String previousUid() {
    try {
      Path marker = logFile.resolveSibling("." + namespace + "_" + name + ".uid");
      String previous = Files.exists(marker) ? Files.readString(marker).trim() : "previous";
      Files.writeString(marker, uid == null ? "" : uid);
      return previous;
    } catch (IOException e) {
      return "previous";
    }
  }

  // --- volumes -------------------------------------------------------------------------------

  private static final class VolumeError extends Exception {
    VolumeError(String message) {
      super(message, null, false, false);
    }
  }

  /** Writes every volume into the pod's directory; returns volume name to directory. */
  private Map<String, Path> materializeVolumes() throws VolumeError {
    Map<String, Path> out = new LinkedHashMap<>();
    List<Volume> list = pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
    for (Volume v : list) {
      Path d = dir.resolve("volumes").resolve(v.getName());
      if (v.getEmptyDir() != null) {
        try {
          Files.createDirectories(d);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      } else if (v.getConfigMap() != null
          || v.getSecret() != null
          || v.getDownwardAPI() != null
          || v.getProjected() != null) {
        VolumeDirectory.write(d, files(v));
      } else {
        throw new VolumeError(
            "volume \""
                + v.getName()
                + "\": the process kubelet supports emptyDir, configMap, secret, downwardAPI and"
                + " projected volumes only");
      }
      out.put(v.getName(), d);
    }
    return out;
  }

  /** Rewrites the ConfigMap and Secret volumes after a change; true if a file changed. */
  boolean refreshVolumes() {
    if (volumes.isEmpty() || stopping) {
      return false;
    }
    boolean changed = false;
    for (Volume v : pod.getSpec().getVolumes()) {
      if (v.getEmptyDir() != null || !volumes.containsKey(v.getName())) {
        continue;
      }
      try {
        changed |= VolumeDirectory.write(volumes.get(v.getName()), files(v));
      } catch (VolumeError | RuntimeException e) {
        LOG.info(
            "pod "
                + namespace
                + "/"
                + name
                + ": volume "
                + v.getName()
                + " not updated: "
                + e.getMessage());
      }
    }
    return changed;
  }

  /** Whether the pod reads this ConfigMap or Secret through a volume. */
  boolean usesVolumeSource(String kind, String sourceName) {
    if (pod.getSpec().getVolumes() == null) {
      return false;
    }
    for (Volume v : pod.getSpec().getVolumes()) {
      List<VolumeProjection> projections =
          v.getProjected() == null || v.getProjected().getSources() == null
              ? List.of()
              : v.getProjected().getSources();
      if (kind.equals("ConfigMap")) {
        if (v.getConfigMap() != null && sourceName.equals(v.getConfigMap().getName())) {
          return true;
        }
        if (projections.stream()
            .anyMatch(
                p -> p.getConfigMap() != null && sourceName.equals(p.getConfigMap().getName()))) {
          return true;
        }
      } else {
        if (v.getSecret() != null && sourceName.equals(v.getSecret().getSecretName())) {
          return true;
        }
        if (projections.stream()
            .anyMatch(p -> p.getSecret() != null && sourceName.equals(p.getSecret().getName()))) {
          return true;
        }
      }
    }
    return false;
  }

  private Map<String, byte[]> files(Volume v) throws VolumeError {
    Map<String, byte[]> files = new LinkedHashMap<>();
    if (v.getConfigMap() != null) {
      configMapFiles(
          files,
          v.getConfigMap().getName(),
          v.getConfigMap().getItems(),
          v.getConfigMap().getOptional());
    } else if (v.getSecret() != null) {
      secretFiles(
          files,
          v.getSecret().getSecretName(),
          v.getSecret().getItems(),
          v.getSecret().getOptional());
    } else if (v.getDownwardAPI() != null) {
      downwardFiles(files, v.getDownwardAPI().getItems());
    } else if (v.getProjected() != null && v.getProjected().getSources() != null) {
      for (VolumeProjection p : v.getProjected().getSources()) {
        if (p.getConfigMap() != null) {
          configMapFiles(
              files,
              p.getConfigMap().getName(),
              p.getConfigMap().getItems(),
              p.getConfigMap().getOptional());
        } else if (p.getSecret() != null) {
          secretFiles(
              files,
              p.getSecret().getName(),
              p.getSecret().getItems(),
              p.getSecret().getOptional());
        } else if (p.getDownwardAPI() != null) {
          downwardFiles(files, p.getDownwardAPI().getItems());
        }
        // serviceAccountToken and clusterTrustBundle sources have nothing to offer here.
      }
    }
    return files;
  }

  private void configMapFiles(
      Map<String, byte[]> files, String cmName, List<KeyToPath> items, Boolean optional)
      throws VolumeError {
    Optional<ConfigMap> cm = kubelet.configMap(namespace, cmName);
    if (cm.isEmpty()) {
      if (Boolean.TRUE.equals(optional)) {
        return;
      }
      throw new VolumeError("configmap \"" + cmName + "\" not found");
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    if (cm.get().getData() != null) {
      cm.get().getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
    }
    if (cm.get().getBinaryData() != null) {
      cm.get().getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
    }
    select(files, data, items, "configmap " + cmName, optional);
  }

  private void secretFiles(
      Map<String, byte[]> files, String secretName, List<KeyToPath> items, Boolean optional)
      throws VolumeError {
    Optional<Secret> secret = kubelet.secret(namespace, secretName);
    if (secret.isEmpty()) {
      if (Boolean.TRUE.equals(optional)) {
        return;
      }
      throw new VolumeError("secret \"" + secretName + "\" not found");
    }
    Map<String, byte[]> data = new LinkedHashMap<>();
    PodEnvironment.secretData(secret.get())
        .forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
    select(files, data, items, "secret " + secretName, optional);
  }

  private static void select(
      Map<String, byte[]> files,
      Map<String, byte[]> data,
      List<KeyToPath> items,
      String what,
      Boolean optional)
      throws VolumeError {
    if (items == null || items.isEmpty()) {
      files.putAll(data);
      return;
    }
    for (KeyToPath item : items) {
      byte[] value = data.get(item.getKey());
      if (value == null) {
        if (Boolean.TRUE.equals(optional)) {
          continue;
        }
        throw new VolumeError(what + " has no key " + item.getKey());
      }
      files.put(item.getPath(), value);
    }
  }

  private void downwardFiles(Map<String, byte[]> files, List<DownwardAPIVolumeFile> items)
      throws VolumeError {
    if (items == null) {
      return;
    }
    PodEnvironment env = environment();
    for (DownwardAPIVolumeFile item : items) {
      if (item.getFieldRef() != null) {
        try {
          files.put(
              item.getPath(),
              env.field(item.getFieldRef().getFieldPath()).getBytes(StandardCharsets.UTF_8));
        } catch (PodEnvironment.ConfigError e) {
          throw new VolumeError(e.getMessage());
        }
      }
    }
  }

  private PodEnvironment environment() {
    return new PodEnvironment(pod, ip, kubelet.hostIp(), kubelet::configMap, kubelet::secret);
  }

  /** Mount paths of a container to local paths. */
  private Map<String, String> mounts(Container c) {
    Map<String, String> out = new LinkedHashMap<>();
    if (c.getVolumeMounts() != null) {
      for (VolumeMount m : c.getVolumeMounts()) {
        Path local = volumes.get(m.getName());
        if (local == null) {
          continue;
        }
        if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
          local = local.resolve(m.getSubPath());
        }
        out.put(m.getMountPath(), local.toString());
      }
    }
    out.put(terminationMessagePath(c), terminationFile(c).toString());
    return out;
  }

  private static String terminationMessagePath(Container c) {
    return c.getTerminationMessagePath() == null || c.getTerminationMessagePath().isEmpty()
        ? "/dev/termination-log"
        : c.getTerminationMessagePath();
  }

  /** Where the container's terminationMessagePath points locally (env values are rewritten). */
  private Path terminationFile(Container c) {
    return dir.resolve("termination").resolve(c.getName());
  }

  /**
   * The message of a terminated container, as the kubelet reads it: the termination message file
   * (at most 4 KiB), or with FallbackToLogsOnError and a failure, the end of the log.
   */
  private String terminationMessage(Container c, int exit) {
    Path file = terminationFile(c);
    try {
      if (Files.isRegularFile(file) && Files.size(file) > 0) {
        byte[] bytes = Files.readAllBytes(file);
        return new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8);
      }
      if (exit != 0 && "FallbackToLogsOnError".equals(c.getTerminationMessagePolicy())) {
        List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
        String tail =
            String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        return tail.length() > 2048 ? tail.substring(tail.length() - 2048) : tail;
      }
    } catch (IOException | RuntimeException e) {
      LOG.fine("no termination message for " + c.getName() + ": " + e);
    }
    return null;
  }

  /** Half the container's memory limit, between 64m and the kubelet's cap; else the default. */
  String heap(Container c) {
    Quantity limit =
        c.getResources() == null || c.getResources().getLimits() == null
            ? null
            : c.getResources().getLimits().get("memory");
    if (limit == null) {
      return kubelet.options().defaultHeap;
    }
    long mb =
        Quantity.getAmountInBytes(limit).divide(BigDecimal.valueOf(2L * 1024 * 1024)).longValue();
    return Math.max(MIN_HEAP_MB, Math.min(mb, kubelet.options().maxHeapMb())) + "m";
  }

  // --- status --------------------------------------------------------------------------------

  private PodCondition condition(String type, boolean status, String reason) {
    PodCondition previous = conditions.get(type);
    String value = status ? "True" : "False";
    if (previous != null && previous.getStatus().equals(value)) {
      return previous;
    }
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(value)
        .withReason(reason)
        .withLastTransitionTime(now())
        .build();
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private String phase() {
    String policy = restartPolicy();
    if (!initialized) {
      boolean initFailed = inits.stream().anyMatch(r -> r.finished && !r.succeeded());
      return initFailed ? "Failed" : "Pending";
    }
    if (apps.stream().noneMatch(r -> r.everStarted)) {
      return "Pending";
    }
    if (policy.equals("Always") || apps.stream().anyMatch(r -> !r.finished)) {
      return "Running";
    }
    return apps.stream().allMatch(ContainerRun::succeeded) ? "Succeeded" : "Failed";
  }

  private String restartPolicy() {
    String policy = pod.getSpec().getRestartPolicy();
    return policy == null ? "Always" : policy;
  }

  /** Writes the pod's status if it changed. Skipped while the pod terminates (see ObjectStore). */
  synchronized void publish() {
    Pod current = pod;
    if (current.getMetadata().getDeletionTimestamp() != null || ip == null) {
      return;
    }
    boolean ready = initialized && !stopping && apps.stream().allMatch(r -> r.ready);
    conditions.put("Initialized", condition("Initialized", initialized, null));
    conditions.put(
        "ContainersReady",
        condition("ContainersReady", ready, ready ? null : "ContainersNotReady"));
    conditions.put("Ready", condition("Ready", ready, ready ? null : "ContainersNotReady"));
    conditions.put("PodScheduled", condition("PodScheduled", true, null));
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("phase", phase());
    status.put("conditions", new ArrayList<>(conditions.values()));
    status.put("hostIP", kubelet.hostIp());
    status.put("hostIPs", List.of(new PodIP(kubelet.hostIp())));
    status.put("podIP", ip);
    status.put("podIPs", List.of(new PodIP(ip)));
    status.put("startTime", startTime.truncatedTo(ChronoUnit.SECONDS).toString());
    status.put("qosClass", "BestEffort");
    status.put("message", null);
    status.put("reason", null);
    if (!inits.isEmpty()) {
      status.put("initContainerStatuses", inits.stream().map(ContainerRun::status).toList());
    }
    status.put("containerStatuses", apps.stream().map(ContainerRun::status).toList());
    String json = Serialization.asJson(Map.of("status", status));
    if (json.equals(lastPublished)) {
      return;
    }
    try {
      kubelet
          .client()
          .pods()
          .inNamespace(namespace)
          .withName(name)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON_MERGE), json);
      lastPublished = json;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        LOG.log(Level.INFO, "cannot write the status of pod " + namespace + "/" + name, e);
      }
    }
  }

  // --- containers ----------------------------------------------------------------------------

  /** One container: a process at a time, restarted per the pod's restartPolicy. */
  final class ContainerRun {
    private final Container spec;
    private final boolean init;
    private volatile Process process;
    private volatile ContainerState state;
    private volatile ContainerState lastState;
    private volatile int restartCount;
    private volatile boolean ready;
    private volatile boolean started;
    private volatile boolean everStarted;
    private volatile boolean finished;
    private volatile Integer lastExit;
    private volatile String killReason;
    private final List<ScheduledFuture<?>> probes = new CopyOnWriteArrayList<>();

    ContainerRun(Container spec, boolean init) {
      this.spec = spec;
      this.init = init;
      this.state =
          new ContainerStateBuilder()
              .withNewWaiting()
              .withReason("ContainerCreating")
              .endWaiting()
              .build();
    }

    String name() {
      return spec.getName();
    }

    boolean succeeded() {
      return finished && lastExit != null && lastExit == 0;
    }

    void waiting(String reason, String message) {
      state =
          new ContainerStateBuilder()
              .withNewWaiting()
              .withReason(reason)
              .withMessage(message)
              .endWaiting()
              .build();
    }

    ContainerStatus status() {
      Process p = process;
      return new ContainerStatusBuilder()
          .withName(spec.getName())
          .withImage(spec.getImage())
          .withImageID("")
          .withContainerID(p != null && everStarted ? "local://" + p.pid() : null)
          .withReady(ready)
          .withStarted(started)
          .withRestartCount(restartCount)
          .withState(state)
          .withLastState(lastState == null ? new ContainerState() : lastState)
          .build();
    }

    /** Runs the container until it must not restart any more, or the pod stops. */
    void loop() {
      Duration backoff = kubelet.options().restartBackoff;
      while (!stopping) {
        Map<String, String> env;
        try {
          env = environment().resolve(spec, mounts(spec));
        } catch (PodEnvironment.ConfigError e) {
          waiting("CreateContainerConfigError", e.getMessage());
          publish();
          if (pause(Duration.ofSeconds(2))) {
            return;
          }
          continue;
        }
        ContainerLaunch launch = new ContainerLaunch(pod, spec, ip, dir, tmpDir, heap(spec), env);
        Process p;
        Instant begin = Instant.now();
        try {
          Files.deleteIfExists(terminationFile(spec));
          List<String> command = kubelet.options().command.command(launch);
          p = startProcess(command, env);
        } catch (IOException | RuntimeException e) {
          LOG.info(
              "pod " + namespace + "/" + name + " container " + name() + ": " + e.getMessage());
          waiting("RunContainerError", e.getMessage());
          publish();
          if (pause(backoff)) {
            return;
          }
          backoff = longer(backoff);
          continue;
        }
        process = p;
        killReason = null;
        everStarted = true;
        state =
            new ContainerStateBuilder()
                .withNewRunning()
                .withStartedAt(begin.truncatedTo(ChronoUnit.SECONDS).toString())
                .endRunning()
                .build();
        startProbes(p);
        publish();
        int exit = waitFor(p);
        probes.forEach(f -> f.cancel(false));
        probes.clear();
        ready = false;
        started = false;
        lastExit = exit;
        String reason = exit == 0 ? "Completed" : "Error";
        String message = killReason != null ? killReason : terminationMessage(spec, exit);
        state =
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(exit)
                .withReason(reason)
                .withMessage(message)
                .withStartedAt(begin.truncatedTo(ChronoUnit.SECONDS).toString())
                .withFinishedAt(now())
                .withContainerID("local://" + p.pid())
                .endTerminated()
                .build();
        if (stopping) {
          finished = true;
          return;
        }
        if (!shouldRestart(exit)) {
          finished = true;
          publish();
          return;
        }
        if (Duration.between(begin, Instant.now()).compareTo(Duration.ofSeconds(60)) > 0) {
          backoff = kubelet.options().restartBackoff;
        }
        lastState = state;
        restartCount++;
        waiting(
            "CrashLoopBackOff",
            "back-off "
                + backoff.toMillis()
                + "ms restarting failed container="
                + name()
                + " pod="
                + name
                + "_"
                + namespace);
        publish();
        if (pause(backoff)) {
          return;
        }
        backoff = longer(backoff);
      }
    }

    private Duration longer(Duration backoff) {
      Duration doubled = backoff.multipliedBy(2);
      return doubled.compareTo(kubelet.options().maxRestartBackoff) > 0
          ? kubelet.options().maxRestartBackoff
          : doubled;
    }

    private boolean shouldRestart(int exit) {
      String policy = restartPolicy();
      if (init) {
        return exit != 0 && !policy.equals("Never");
      }
      return policy.equals("Always") || (policy.equals("OnFailure") && exit != 0);
    }

    private Process startProcess(List<String> command, Map<String, String> env) throws IOException {
      ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
      Map<String, String> processEnv = pb.environment();
      Map<String, String> inherited = new LinkedHashMap<>(processEnv);
      processEnv.clear();
      for (String keep : List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "JAVA_HOME")) {
        if (inherited.containsKey(keep)) {
          processEnv.put(keep, inherited.get(keep));
        }
      }
      processEnv.put("HOSTNAME", name);
      processEnv.put("TMPDIR", tmpDir.toString());
      processEnv.putAll(env);
      pb.redirectErrorStream(true);
      pb.redirectOutput(Redirect.appendTo(logFile.toFile()));
      // stdin stays a pipe the kubelet never closes: OrphanGuard exits the child when it breaks.
      return pb.start();
    }

    private int waitFor(Process p) {
      while (true) {
        try {
          return p.waitFor();
        } catch (InterruptedException e) {
          // only stop() ends a container; keep waiting for the process to exit
          if (stopping) {
            kill();
          }
        }
      }
    }

    /** SIGTERM to the process and its children. */
    void terminate() {
      Process p = process;
      if (p != null && p.isAlive()) {
        signal(p, false);
      }
    }

    /** SIGKILL to the process and its children. */
    void kill() {
      Process p = process;
      if (p != null && p.isAlive()) {
        signal(p, true);
      }
    }

    void awaitExit(long deadlineNanos) {
      Process p = process;
      if (p == null) {
        return;
      }
      long left = deadlineNanos - System.nanoTime();
      try {
        if (left > 0) {
          p.waitFor(left, TimeUnit.NANOSECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    // --- probes ---

    private void startProbes(Process p) {
      if (spec.getStartupProbe() != null) {
        schedule(p, "startup", spec.getStartupProbe(), initialDelay(spec.getStartupProbe()));
      } else {
        started = true;
        startLivenessAndReadiness(p);
      }
    }

    private void startLivenessAndReadiness(Process p) {
      if (spec.getLivenessProbe() != null) {
        schedule(p, "liveness", spec.getLivenessProbe(), initialDelay(spec.getLivenessProbe()));
      }
      if (spec.getReadinessProbe() != null) {
        schedule(p, "readiness", spec.getReadinessProbe(), initialDelay(spec.getReadinessProbe()));
      } else {
        ready = true;
      }
    }

    private Duration initialDelay(Probe probe) {
      Integer s = probe.getInitialDelaySeconds();
      return Duration.ofSeconds(s == null ? 0 : s);
    }

    private void schedule(Process p, String kind, Probe probe, Duration delay) {
      ProbeLoop loop = new ProbeLoop(p, kind, probe);
      probes.add(kubelet.scheduler().schedule(loop, delay.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Repeated runs of one probe against one process, counting thresholds. */
    private final class ProbeLoop implements Runnable {
      private final Process target;
      private final String kind;
      private final Probe probe;
      private int successes;
      private int failures;

      ProbeLoop(Process target, String kind, Probe probe) {
        this.target = target;
        this.kind = kind;
        this.probe = probe;
      }

      @Override
      public void run() {
        if (process != target || !target.isAlive() || stopping) {
          return;
        }
        ProbeCheck.Result result = ProbeCheck.run(probe, spec, ip);
        if (process != target || !target.isAlive() || stopping) {
          return;
        }
        int successThreshold =
            probe.getSuccessThreshold() == null ? 1 : probe.getSuccessThreshold();
        int failureThreshold =
            probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold();
        if (result.success()) {
          successes++;
          failures = 0;
        } else {
          failures++;
          successes = 0;
        }
        switch (kind) {
          case "startup" -> {
            if (result.success()) {
              started = true;
              publish();
              startLivenessAndReadiness(target);
              return;
            }
            if (failures >= failureThreshold) {
              killByProbe(target, "Startup probe failed: " + result.message());
              return;
            }
          }
          case "liveness" -> {
            if (failures >= failureThreshold) {
              killByProbe(target, "Liveness probe failed: " + result.message());
              return;
            }
          }
          default -> {
            if (!ready && successes >= successThreshold) {
              ready = true;
              publish();
            } else if (ready && failures >= failureThreshold) {
              ready = false;
              publish();
            }
          }
        }
        int periodSeconds =
            probe.getPeriodSeconds() == null ? 10 : Math.max(1, probe.getPeriodSeconds());
        Duration period = Duration.ofSeconds(periodSeconds);
        // Until the container is first ready (or started), probe at least once a second, so that
        // pods do not wait a whole period after their endpoint came up.
        boolean eager = kind.equals("startup") || (kind.equals("readiness") && !ready);
        if (eager && period.compareTo(kubelet.options().eagerProbePeriod) > 0) {
          period = kubelet.options().eagerProbePeriod;
        }
        probes.add(kubelet.scheduler().schedule(this, period.toMillis(), TimeUnit.MILLISECONDS));
      }
    }

    private void killByProbe(Process target, String reason) {
      LOG.info(
          "pod "
              + namespace
              + "/"
              + name
              + " container "
              + name()
              + ": "
              + reason
              + ", restarting");
      killReason = reason;
      ready = false;
      signal(target, false);
      Duration grace = gracePeriod();
      kubelet
          .scheduler()
          .schedule(
              () -> {
                if (target.isAlive()) {
                  signal(target, true);
                }
              },
              grace.toMillis(),
              TimeUnit.MILLISECONDS);
    }
  }
}
