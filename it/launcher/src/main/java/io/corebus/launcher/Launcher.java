package io.corebus.launcher;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.crds.VersionStatus;
import io.corebus.localcluster.LocalCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * The Java side of {@code ./corebus}: {@code cluster} (the background local cluster), {@code up},
 * {@code apply}, {@code get}, {@code load}. The script starts the cluster, waits for its {@code
 * cluster.properties}, and runs the other commands against it.
 */
public final class Launcher {

  static final String NAMESPACE = "shop";
  static final String PLUGIN_LABEL = "corebus.io/plugin";

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    if (System.getProperty("org.slf4j.simpleLogger.log.org.apache.kafka") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
    }
    Path workDir = Path.of(".corebus").toAbsolutePath();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--work-dir")) {
        workDir = Path.of(args[++i]).toAbsolutePath();
      } else {
        rest.add(args[i]);
      }
    }
    if (rest.isEmpty()) {
      System.err.println("usage: Launcher cluster|up DIR|apply PATH...|get [plugins|pods]|load");
      System.exit(2);
    }
    String command = rest.remove(0);
    try {
      switch (command) {
        case "cluster" -> runCluster(workDir);
        case "up" -> up(workDir, rest);
        case "apply" -> apply(workDir, rest);
        case "get" -> get(workDir, rest.isEmpty() ? "plugins" : rest.get(0));
        case "load" -> load(workDir, rest);
        default -> {
          System.err.println("unknown command " + command);
          System.exit(2);
        }
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }

  // --- cluster -------------------------------------------------------------------------------

  /** Runs the local cluster with the operator until SIGTERM ({@code ./corebus down}). */
  static void runCluster(Path workDir) throws InterruptedException {
    Path root = Path.of("").toAbsolutePath();
    LocalCluster cluster =
        LocalCluster.start(
            workDir,
            new LocalCluster.Options()
                .namespace(NAMESPACE)
                .repositoryRoot(root)
                .withOperator()
                .awaitOperator(true, Duration.ofSeconds(120)));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("stopping the local cluster...");
                  try {
                    Files.deleteIfExists(ClusterState.file(workDir));
                  } catch (IOException e) {
                    // the pid in it is dead anyway
                  }
                  cluster.close();
                  System.out.println("stopped");
                  stopped.countDown();
                },
                "local-cluster-stop"));
    new ClusterState(
            ProcessHandle.current().pid(),
            cluster.kubeconfig().toString(),
            cluster.apiServer().map(a -> a.url()).orElse(""),
            cluster.bootstrapServers(),
            cluster.namespace())
        .write(workDir);
    System.out.println(
        "local cluster up: kubeconfig "
            + cluster.kubeconfig()
            + ", Kafka "
            + cluster.bootstrapServers()
            + ", operator log "
            + cluster.operatorLog());
    stopped.await();
  }

  static ClusterState state(Path workDir) {
    return ClusterState.read(workDir)
        .orElseThrow(
            () ->
                new IllegalStateException("no local cluster is running (./corebus up starts one)"));
  }

  static KubernetesClient client(ClusterState state) throws IOException {
    Config config = Config.fromKubeconfig(Files.readString(Path.of(state.kubeconfig())));
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  // --- apply / up ----------------------------------------------------------------------------

  static void apply(Path workDir, List<String> paths) throws IOException {
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("apply needs a file or directory");
    }
    ClusterState state = state(workDir);
    try (KubernetesClient client = client(state)) {
      ManifestApply apply = new ManifestApply(client, state.namespace(), System.out);
      for (String p : paths) {
        apply.apply(Path.of(p));
      }
    }
  }

  /**
   * {@code up DIR [--rps N] [--timeout SECONDS]}: applies DIR, waits for its Plugins to be Ready,
   * then sends orders and shows the table every second until Ctrl-C.
   */
  static void up(Path workDir, List<String> args) throws Exception {
    Path dir = null;
    double rps = 2;
    long timeoutSeconds = 180;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--rps" -> rps = Double.parseDouble(args.get(++i));
        case "--timeout" -> timeoutSeconds = Long.parseLong(args.get(++i));
        default -> dir = Path.of(args.get(i));
      }
    }
    if (dir == null) {
      throw new IllegalArgumentException("up needs a directory, e.g. samples/shop");
    }
    Path plugins = Files.isDirectory(dir.resolve("plugins")) ? dir.resolve("plugins") : dir;
    ClusterState state = state(workDir);
    try (KubernetesClient client = client(state)) {
      String ns = state.namespace();
      long t0 = System.nanoTime();
      List<String> names = new ManifestApply(client, ns, System.out).apply(plugins);
      System.out.println("waiting for " + String.join(", ", names) + " to be Ready...");
      long deadline = t0 + Duration.ofSeconds(timeoutSeconds).toNanos();
      while (true) {
        List<String> notReady =
            names.stream().filter(n -> !ready(plugin(client, ns, n))).collect(Collectors.toList());
        if (notReady.isEmpty()) {
          break;
        }
        if (System.nanoTime() > deadline) {
          StringBuilder why = new StringBuilder();
          for (String n : notReady) {
            Plugin p = plugin(client, ns, n);
            Condition c =
                p == null || p.getStatus() == null
                    ? null
                    : p.getStatus().condition(Condition.READY);
            why.append("\n  ")
                .append(n)
                .append(": ")
                .append(
                    c == null ? "no Ready condition yet" : c.getReason() + " " + c.getMessage());
          }
          throw new IllegalStateException(
              "not Ready after "
                  + timeoutSeconds
                  + " s:"
                  + why
                  + "\nsee ./corebus logs operator ("
                  + workDir.resolve("operator.log")
                  + ") and ./corebus logs <pod> (./corebus get pods)");
        }
        Thread.sleep(500);
      }
      System.out.printf(
          Locale.ROOT,
          "all %d plug-ins Ready in %.1f s after apply%n",
          names.size(),
          (System.nanoTime() - t0) / 1e9);
      try (OrderTraffic traffic = new OrderTraffic(() -> readyPodIps(client, ns, "order"), rps)) {
        traffic.start();
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () ->
                        System.out.println(
                            "\ntable stopped; the cluster keeps running (./corebus down stops it)")));
        boolean tty = System.console() != null;
        while (true) {
          String table = table(client, ns, traffic, rps);
          if (tty) {
            System.out.print("\033[H\033[2J");
          }
          System.out.println(table);
          System.out.flush();
          Thread.sleep(1000);
        }
      }
    }
  }

  static Plugin plugin(KubernetesClient client, String ns, String name) {
    return client.resources(Plugin.class).inNamespace(ns).withName(name).get();
  }

  static boolean ready(Plugin p) {
    if (p == null || p.getStatus() == null) {
      return false;
    }
    Condition c = p.getStatus().condition(Condition.READY);
    return c != null && Condition.TRUE.equals(c.getStatus());
  }

  static List<String> readyPodIps(KubernetesClient client, String ns, String plugin) {
    return client.pods().inNamespace(ns).withLabel(PLUGIN_LABEL, plugin).list().getItems().stream()
        .filter(Launcher::podReady)
        .map(p -> p.getStatus().getPodIP())
        .filter(ip -> ip != null && !ip.isBlank())
        .sorted()
        .toList();
  }

  static boolean podReady(Pod p) {
    if (p.getStatus() == null || p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  static String table(KubernetesClient client, String ns, OrderTraffic traffic, double rps) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "Corebus local cluster, namespace %s   (Ctrl-C stops this table; ./corebus down the cluster)%n%n",
            ns));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-14s %-6s %-9s %-9s %-6s%n",
            "PLUGIN",
            "READY",
            "REPLICAS",
            "VERSION",
            "QPS"));
    for (Plugin p : client.resources(Plugin.class).inNamespace(ns).list().getItems()) {
      PluginStatus s = p.getStatus();
      String replicas =
          s == null
              ? "-"
              : (s.getReadyReplicas() == null ? 0 : s.getReadyReplicas())
                  + "/"
                  + (s.getReplicas() == null ? 0 : s.getReplicas());
      String version =
          s == null || s.getVersions().isEmpty()
              ? p.getSpec().getVersion()
              : s.getVersions().stream()
                  .map(VersionStatus::getVersion)
                  .collect(Collectors.joining(","));
      String qps =
          s == null || s.getQps() == null ? "-" : String.format(Locale.ROOT, "%.1f", s.getQps());
      sb.append(
          String.format(
              Locale.ROOT,
              "%-14s %-6s %-9s %-9s %-6s%n",
              p.getMetadata().getName(),
              ready(p) ? "True" : "False",
              replicas,
              version,
              qps));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "%ntraffic: PlaceOrder at %.1f/s over order's gRPC route: %d ok, %d failed%s, p50 %s ms, p99 %s ms%n",
            rps,
            traffic.ok(),
            traffic.failed(),
            traffic.failures().isEmpty() ? "" : " " + traffic.failures(),
            millis(traffic.latencies().percentileMillis(50)),
            millis(traffic.latencies().percentileMillis(99))));
    sb.append("QPS: status.qps, from the runtimes' telemetry (\"-\" before their first reports)\n");
    return sb.toString();
  }

  static String millis(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.1f", ms);
  }

  // --- get -----------------------------------------------------------------------------------

  static void get(Path workDir, String what) throws IOException {
    ClusterState state = state(workDir);
    PrintStream out = System.out;
    try (KubernetesClient client = client(state)) {
      String ns = state.namespace();
      if (what.startsWith("pod")) {
        out.printf(Locale.ROOT, "%-28s %-6s %-10s %-10s%n", "NAME", "READY", "PHASE", "IP");
        for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
          out.printf(
              Locale.ROOT,
              "%-28s %-6s %-10s %-10s%n",
              p.getMetadata().getName(),
              podReady(p),
              p.getStatus() == null ? "" : p.getStatus().getPhase(),
              p.getStatus() == null ? "" : p.getStatus().getPodIP());
        }
      } else if (what.startsWith("plugin")) {
        out.printf(
            Locale.ROOT,
            "%-14s %-6s %-9s %-9s %s%n",
            "NAME",
            "READY",
            "REPLICAS",
            "VERSION",
            "REASON");
        for (Plugin p : client.resources(Plugin.class).inNamespace(ns).list().getItems()) {
          PluginStatus s = p.getStatus();
          Condition c = s == null ? null : s.condition(Condition.READY);
          out.printf(
              Locale.ROOT,
              "%-14s %-6s %-9s %-9s %s%n",
              p.getMetadata().getName(),
              ready(p),
              s == null ? "-" : s.getReadyReplicas() + "/" + s.getReplicas(),
              p.getSpec().getVersion(),
              c == null ? "" : c.getReason());
        }
      } else {
        throw new IllegalArgumentException(
            "get plugins|pods (or kubectl with KUBECONFIG=" + state.kubeconfig() + ")");
      }
    }
  }

  // --- load ----------------------------------------------------------------------------------

  /** {@code load shop.order.OrderService --rps N [--seconds S]}. */
  static void load(Path workDir, List<String> args) throws Exception {
    String service = null;
    double rps = 20;
    long seconds = 10;
    for (int i = 0; i < args.size(); i++) {
      switch (args.get(i)) {
        case "--rps" -> rps = Double.parseDouble(args.get(++i));
        case "--seconds" -> seconds = Long.parseLong(args.get(++i));
        default -> service = args.get(i);
      }
    }
    if (!"shop.order.OrderService".equals(service)) {
      throw new IllegalArgumentException(
          "load knows shop.order.OrderService (PlaceOrder over order's hybrid route) only, not "
              + service);
    }
    ClusterState state = state(workDir);
    try (KubernetesClient client = client(state)) {
      String ns = state.namespace();
      if (readyPodIps(client, ns, "order").isEmpty()) {
        throw new IllegalStateException("no Ready order pod (./corebus get pods)");
      }
      OrderTraffic traffic = new OrderTraffic(() -> readyPodIps(client, ns, "order"), rps).start();
      System.out.printf(Locale.ROOT, "PlaceOrder at %.1f/s for %d s...%n", rps, seconds);
      Thread.sleep(seconds * 1000);
      traffic.stop(6000);
      OrderTraffic.Latencies l = traffic.latencies();
      System.out.printf(
          Locale.ROOT,
          "ok %d, failed %d %s%nlatency ms: p50 %s, p90 %s, p99 %s, max %s%n",
          traffic.ok(),
          traffic.failed(),
          traffic.failures().isEmpty() ? "" : traffic.failures().toString(),
          millis(l.percentileMillis(50)),
          millis(l.percentileMillis(90)),
          millis(l.percentileMillis(99)),
          millis(l.percentileMillis(100)));
      if (traffic.failed() > 0 && traffic.ok() == 0) {
        System.exit(1);
      }
    }
  }
}
