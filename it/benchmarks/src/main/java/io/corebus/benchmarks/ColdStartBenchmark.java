package io.corebus.benchmarks;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.LocalCluster;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.DirectChannels;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.ReplySlot;
import io.corebus.runtime.bus.RouteTable;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.testplugin.EchoService;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * How long a new plug-in takes to serve, on the local cluster with the real operator: {@code apply}
 * of a Plugin (the Echo test plug-in, jar artifact, one replica) to its first successful call over
 * the bus, from a caller that runs before the apply (as another plug-in would); and, per pod, the
 * runtime's start time (process start to its readiness endpoint answering 200) and resident memory.
 *
 * <p>Each run applies a Plugin of a new name ({@code echo-1}, {@code echo-2}, ...; one provider of
 * a service per namespace, so the previous one is deleted and its cleanup awaited first) and
 * measures, from the moment before the create request:
 *
 * <ul>
 *   <li>the pod object created by the operator (polled every 10 ms);
 *   <li>the pod's process started (its {@code local://pid} container id; start time from the OS);
 *   <li>the pod's {@code /q/health/ready} answering 200 (polled every 10 ms on the pod IP);
 *   <li>the first {@code corebus.test.Echo/Say} answered OK: one call, sent right after the apply
 *       and again after every {@code NOT_FOUND} (no route published yet), which otherwise waits for
 *       a Ready replica in the route (as every bus call does);
 *   <li>the process's RSS ({@code VmRSS}) after that first call and after 1,000 more calls.
 * </ul>
 *
 * Prints one line per run and the medians. Run with {@code scripts/bench-cold-start.sh}.
 */
public final class ColdStartBenchmark {
  static final String NAMESPACE = "cold";
  static final int WARM_CALLS = 1_000;

  private ColdStartBenchmark() {}

  /** One run's figures, in milliseconds from the apply (RSS in MiB). */
  record Run(
      String plugin,
      double podCreated,
      double processStarted,
      double ready,
      double firstCall,
      double rssFirstCallMib,
      double rssWarmMib) {
    double runtimeStart() {
      return ready - processStarted;
    }
  }

  public static void main(String[] args) throws Exception {
    int runs = 5;
    Path root = Path.of("").toAbsolutePath();
    Path pluginJar = null;
    for (String arg : args) {
      if (arg.startsWith("--runs=")) {
        runs = Integer.parseInt(arg.substring("--runs=".length()));
      } else if (arg.startsWith("--repository=")) {
        root = Path.of(arg.substring("--repository=".length())).toAbsolutePath();
      } else if (arg.startsWith("--plugin-jar=")) {
        pluginJar = Path.of(arg.substring("--plugin-jar=".length())).toAbsolutePath();
      } else {
        System.err.println(
            "usage: ColdStartBenchmark [--runs=5] [--repository=.] [--plugin-jar=<test-plugin.jar>]");
        System.exit(2);
      }
    }
    if (pluginJar == null) {
      pluginJar = root.resolve("it/benchmarks/target/bench-plugins/test-plugin.jar");
    }
    Logger.getLogger("org.apache.kafka").setLevel(Level.WARNING);
    run(root, pluginJar, runs, System.out);
    System.exit(0);
  }

  static List<Run> run(Path root, Path pluginJar, int runs, PrintStream out) throws Exception {
    if (!Files.isRegularFile(pluginJar)) {
      throw new IllegalArgumentException(
          pluginJar + " does not exist: ./mvnw -pl it/benchmarks -am package -DskipTests");
    }
    out.println("Corebus cold start, " + Instant.now());
    out.println(
        BusBenchmark.machineOnly()
            + "; local cluster: Kafka -Xmx384m, operator -Xmx256m, pods as the kubelet runs them"
            + " (heap half the 512Mi memory limit)");
    out.printf("%d run(s); plug-in jar %s%n", runs, pluginJar);
    String sha256 =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(pluginJar)));

    Path work = Files.createTempDirectory(root.resolve("it/benchmarks/target"), "cold-start-");
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    ExecutorService callbacks = Executors.newFixedThreadPool(2);
    List<Run> results = new ArrayList<>();
    try (LocalCluster cluster =
        LocalCluster.start(
            work,
            new LocalCluster.Options()
                .namespace(NAMESPACE)
                .repositoryRoot(root)
                .kafkaHeap("384m")
                .operatorHeap("256m")
                .withOperator()
                .awaitOperator(true, Duration.ofSeconds(180)))) {
      out.println("local cluster up; work dir " + work);
      String bootstrap = cluster.bootstrapServers();
      BusTopics topics = BusTopics.forNamespace(NAMESPACE);
      BusMetrics metrics = new BusMetrics(new SimpleMeterRegistry());
      try (KafkaProducer<byte[], byte[]> producer =
              new KafkaProducer<>(KafkaSettings.producer(bootstrap, "cold-caller", 0));
          Admin admin = Admin.create(KafkaSettings.admin(bootstrap, "cold-admin"))) {
        String slotTopic = topics.replies("cold-caller", "cold-caller-0");
        ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
        try (ReplySlot slot =
                new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, "cold-reply"));
            RouteTable routes =
                new RouteTable(
                    topics.routes(),
                    KafkaSettings.routeConsumer(bootstrap, "cold-routes"),
                    metrics);
            DirectChannels direct = new DirectChannels()) {
          slot.start();
          routes.start();
          BusChannel channel =
              new BusChannel(
                  routes,
                  direct,
                  slot,
                  producer,
                  new RuntimeIdentity(NAMESPACE, "cold", "cold-caller-0", "1"),
                  Duration.ofSeconds(60),
                  3,
                  scheduler,
                  callbacks,
                  metrics);
          HttpClient http = HttpClient.newHttpClient();
          String previous = null;
          for (int i = 1; i <= runs; i++) {
            if (previous != null) {
              delete(cluster.client(), previous);
            }
            String name = "echo-" + i;
            Run r = measure(cluster.client(), channel, http, name, pluginJar, sha256);
            results.add(r);
            out.printf(
                Locale.ROOT,
                "run %d %s: pod %.0f ms, process %.0f ms, Ready %.0f ms (runtime start %.0f ms),"
                    + " first call OK %.0f ms; RSS %.0f MiB after the first call, %.0f MiB after"
                    + " %d more%n",
                i,
                name,
                r.podCreated(),
                r.processStarted(),
                r.ready(),
                r.runtimeStart(),
                r.firstCall(),
                r.rssFirstCallMib(),
                r.rssWarmMib(),
                WARM_CALLS);
            previous = name;
          }
        }
      }
    } finally {
      scheduler.shutdownNow();
      callbacks.shutdownNow();
    }
    print(results, out);
    return results;
  }

  private static Run measure(
      KubernetesClient client,
      BusChannel channel,
      HttpClient http,
      String name,
      Path jar,
      String sha256)
      throws Exception {
    GenericKubernetesResource plugin =
        Serialization.unmarshal(
            String.format(
                Locale.ROOT,
                """
                apiVersion: corebus.io/v1alpha1
                kind: Plugin
                metadata:
                  name: %s
                spec:
                  version: "1.0.0"
                  artifact:
                    jar:
                      url: %s
                      sha256: %s
                  provides:
                    - service: %s
                  replicas:
                    min: 1
                    max: 1
                    desired: 1
                  autoscaling:
                    mode: "Off"
                """,
                name,
                jar.toUri(),
                sha256,
                EchoService.SERVICE),
            GenericKubernetesResource.class);

    long applied = System.nanoTime();
    plugins(client).resource(plugin).create();
    CompletableFuture<Long> firstCall = CompletableFuture.supplyAsync(() -> firstCall(channel));

    Pod pod = null;
    double podCreated = -1;
    long pid = -1;
    while (pid < 0) {
      List<Pod> pods =
          client
              .pods()
              .inNamespace(NAMESPACE)
              .withLabel("corebus.io/plugin", name)
              .list()
              .getItems();
      if (!pods.isEmpty()) {
        pod = pods.get(0);
        if (podCreated < 0) {
          podCreated = millisSince(applied);
        }
        pid = pid(pod);
      }
      if (millisSince(applied) > 180_000) {
        throw new IllegalStateException(name + ": no running pod after 180 s");
      }
      if (pid < 0) {
        Thread.sleep(10);
      }
    }
    Instant processStart =
        ProcessHandle.of(pid)
            .flatMap(h -> h.info().startInstant())
            .orElseThrow(() -> new IllegalStateException("no start time of the pod's process"));
    double processStarted =
        millisSince(applied) - Duration.between(processStart, Instant.now()).toNanos() / 1e6;

    URI readiness =
        URI.create(
            "http://"
                + pod.getStatus().getPodIP()
                + ":"
                + RuntimeContract.HTTP_PORT
                + RuntimeContract.READINESS_PATH);
    double ready = -1;
    while (ready < 0) {
      try {
        int code =
            http.send(
                    HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (code == 200) {
          ready = millisSince(applied);
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (millisSince(applied) > 180_000) {
        throw new IllegalStateException(name + ": not Ready after 180 s");
      }
      Thread.sleep(10);
    }

    double first = (firstCall.get(180, TimeUnit.SECONDS) - applied) / 1e6;
    double rssFirst = rssMib(pid);
    for (int i = 0; i < WARM_CALLS; i++) {
      say(channel, Duration.ofSeconds(10));
    }
    double rssWarm = rssMib(pid);
    return new Run(name, podCreated, processStarted, ready, first, rssFirst, rssWarm);
  }

  /**
   * Calls until one call succeeds; returns its {@link System#nanoTime}. A call before the operator
   * published the route fails NOT_FOUND at once and is sent again; after that it waits in the bus
   * client for a Ready replica.
   */
  private static long firstCall(BusChannel channel) {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < giveUp) {
      try {
        say(channel, Duration.ofSeconds(60));
        return System.nanoTime();
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.NOT_FOUND && code != Status.Code.UNAVAILABLE) {
          System.err.println("first call: " + e.getStatus());
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(ie);
        }
      }
    }
    throw new IllegalStateException("no successful call within 180 s");
  }

  private static void say(BusChannel channel, Duration deadline) {
    ClientCalls.blockingUnaryCall(
        channel.newCall(
            EchoService.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)),
        StringValue.of("cold"));
  }

  /** Deletes a Plugin and waits until the operator's cleanup let it go. */
  private static void delete(KubernetesClient client, String name) throws InterruptedException {
    plugins(client).withName(name).delete();
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (plugins(client).withName(name).get() != null
        || !client
            .pods()
            .inNamespace(NAMESPACE)
            .withLabel("corebus.io/plugin", name)
            .list()
            .getItems()
            .isEmpty()) {
      if (System.nanoTime() > giveUp) {
        throw new IllegalStateException(name + " was not cleaned up within 120 s");
      }
      Thread.sleep(100);
    }
  }

  private static NonNamespaceOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      plugins(KubernetesClient client) {
    return client
        .genericKubernetesResources("corebus.io/v1alpha1", "Plugin")
        .inNamespace(NAMESPACE);
  }

  /** The pid of the pod's running container (the local kubelet's {@code local://<pid>} id). */
  private static long pid(Pod pod) {
    if (pod.getStatus() == null
        || pod.getStatus().getPodIP() == null
        || pod.getStatus().getContainerStatuses() == null) {
      return -1;
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(c -> c.getState() != null && c.getState().getRunning() != null)
        .map(c -> c.getContainerID())
        .filter(id -> id != null && id.startsWith("local://"))
        .mapToLong(id -> Long.parseLong(id.substring("local://".length())))
        .findFirst()
        .orElse(-1);
  }

  /** Resident set size of a process, from /proc (Linux). */
  static double rssMib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return -1;
  }

  private static double millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1e6;
  }

  static void print(List<Run> runs, PrintStream out) {
    out.println();
    out.printf("Medians over %d run(s), ms from kubectl apply:%n%n", runs.size());
    out.println("| step | median | min | max |");
    out.println("|---|---:|---:|---:|");
    row(out, runs, "pod created by the operator (seen)", Run::podCreated, "ms");
    row(out, runs, "runtime process started", Run::processStarted, "ms");
    row(out, runs, "pod Ready (readiness endpoint 200)", Run::ready, "ms");
    row(out, runs, "**first successful call** (cold start)", Run::firstCall, "ms");
    row(out, runs, "runtime start: process start to Ready", Run::runtimeStart, "ms");
    row(out, runs, "RSS after the first call", Run::rssFirstCallMib, "MiB");
    row(out, runs, "RSS after " + WARM_CALLS + " more calls", Run::rssWarmMib, "MiB");
  }

  private static void row(
      PrintStream out, List<Run> runs, String what, ToDoubleFunction<Run> f, String unit) {
    double[] v = runs.stream().mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return;
    }
    double median =
        v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    out.printf(
        Locale.ROOT, "| %s | %.0f %s | %.0f | %.0f |%n", what, median, unit, v[0], v[v.length - 1]);
  }
}
