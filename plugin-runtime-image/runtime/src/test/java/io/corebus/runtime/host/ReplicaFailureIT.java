package io.corebus.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.runtime.bus.RoutePublisher;
import io.corebus.runtime.loader.Sha256;
import io.corebus.testplugin.EchoService;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 calls from a caller to a plug-in with two replicas (two packaged runtime processes), one
 * of which is stopped midway: gracefully (SIGTERM: it drains) or outright (SIGKILL). The test
 * plug-in logs each execution by request id to a file per replica, so duplicates can be counted.
 */
class ReplicaFailureIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final int CALLS = 10_000;
  static final int CONCURRENCY = 64;
  static final Duration DEADLINE = Duration.ofSeconds(15);

  @TempDir Path tmp;

  private final Path pluginJar = Path.of(System.getProperty("corebus.it.test-plugin-jar"));

  /** What happened to the calls and executions of one run. */
  record Outcome(
      Map<Status.Code, Integer> codes,
      int executedOnce,
      int executedTwiceOrMore,
      int answeredWithoutExecution,
      long slowestMillis,
      long millis) {}

  @Test
  void aReplicaStoppedGracefullyMidwayLosesNoCallAndRunsNoneTwice() throws Exception {
    Outcome o = run("graceful", false);

    assertThat(o.codes()).containsOnlyKeys(Status.Code.OK);
    assertThat(o.codes().get(Status.Code.OK)).isEqualTo(CALLS);
    assertThat(o.executedOnce()).isEqualTo(CALLS);
    assertThat(o.executedTwiceOrMore()).isZero();
  }

  @Test
  void aReplicaKilledMidwayLeavesEveryCallAnsweredOrFailedTypedWithinItsDeadline()
      throws Exception {
    Outcome o = run("kill", true);

    int total = o.codes().values().stream().mapToInt(Integer::intValue).sum();
    assertThat(total).as("every call completed").isEqualTo(CALLS);
    assertThat(o.codes().keySet())
        .isSubsetOf(Status.Code.OK, Status.Code.DEADLINE_EXCEEDED, Status.Code.UNAVAILABLE);
    assertThat(o.answeredWithoutExecution()).as("an OK answer comes from an execution").isZero();
    assertThat(o.slowestMillis())
        .as("no call outlives its deadline")
        .isLessThan(DEADLINE.toMillis() + 2_000);
    // At-least-once on a hard kill: requests the killed replica ran after its last offset commit
    // run again on the survivor. Bounded by what one replica runs between two commits (a poll
    // loop, ~100 ms) plus its in-flight calls (corebus.bus.max-in-flight, 64).
    assertThat(o.executedTwiceOrMore()).isLessThan(1_000);
  }

  private Outcome run(String namespace, boolean hardKill) throws Exception {
    BusTopics topics = BusTopics.forNamespace(namespace);
    String requestTopic = topics.requests(EchoService.SERVICE);
    kafka.broker().createTopic(requestTopic, 4);
    kafka.broker().createTopic(topics.telemetry(), 1);
    try (RoutePublisher routes =
        new RoutePublisher(kafka.bootstrapServers(), topics, kafka.broker()::createTopic)) {
      routes.publish(RoutePublisher.busRoute(EchoService.SERVICE, "echo", requestTopic));
    }
    String sha = Sha256.of(pluginJar);
    List<Path> logs = List.of(tmp.resolve("executions-0.txt"), tmp.resolve("executions-1.txt"));
    List<RuntimeProcess> replicas = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        Path config = Files.createDirectories(tmp.resolve("config-" + i));
        Files.writeString(config.resolve("executions-file"), logs.get(i).toString());
        replicas.add(
            RuntimeProcess.start(
                namespace + "-echo-" + i, env(namespace, "echo-" + i, sha, config, requestTopic)));
      }
      for (RuntimeProcess r : replicas) {
        r.awaitReady();
      }
      try (BusCaller caller =
          new BusCaller(kafka.bootstrapServers(), topics, namespace + "-caller-0")) {
        return callThroughTheStop(caller, replicas.get(1), hardKill, namespace, logs);
      }
    } finally {
      replicas.forEach(RuntimeProcess::close);
    }
  }

  private Outcome callThroughTheStop(
      BusCaller caller, RuntimeProcess victim, boolean hardKill, String name, List<Path> logs)
      throws Exception {
    Semaphore window = new Semaphore(CONCURRENCY);
    CountDownLatch halfDone = new CountDownLatch(CALLS / 2);
    CountDownLatch allDone = new CountDownLatch(CALLS);
    Map<Status.Code, AtomicInteger> codes = new ConcurrentHashMap<>();
    Map<String, Boolean> answered = new ConcurrentHashMap<>();
    AtomicLong slowest = new AtomicLong();
    long started = System.nanoTime();
    Thread sender =
        new Thread(
            () -> {
              for (int i = 0; i < CALLS; i++) {
                window.acquireUninterruptibly();
                String id = name + "-" + i;
                long sent = System.nanoTime();
                Futures.addCallback(
                    caller.sayLater("once:" + id, DEADLINE),
                    new FutureCallback<StringValue>() {
                      @Override
                      public void onSuccess(StringValue v) {
                        answered.put(id, Boolean.TRUE);
                        done(Status.Code.OK);
                      }

                      @Override
                      public void onFailure(Throwable t) {
                        done(Status.fromThrowable(t).getCode());
                      }

                      private void done(Status.Code code) {
                        slowest.accumulateAndGet(
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent), Math::max);
                        codes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                        window.release();
                        halfDone.countDown();
                        allDone.countDown();
                      }
                    },
                    MoreExecutors.directExecutor());
              }
            },
            "sender");
    sender.start();

    assertThat(halfDone.await(60, TimeUnit.SECONDS)).as("half the calls done").isTrue();
    long stopAt = System.nanoTime();
    if (hardKill) {
      victim.process.destroyForcibly(); // SIGKILL
    } else {
      victim.process.destroy(); // SIGTERM, as the kubelet sends it
    }
    assertThat(allDone.await(120, TimeUnit.SECONDS)).as("every call completed").isTrue();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    sender.join();
    if (!hardKill) {
      assertThat(victim.process.waitFor(30, TimeUnit.SECONDS)).as("drained and exited").isTrue();
      assertThat(victim.output()).contains("runtime drained and stopped");
    }

    Map<String, Integer> executions = new HashMap<>();
    for (Path log : logs) {
      if (Files.exists(log)) {
        for (String id : Files.readAllLines(log)) {
          executions.merge(id, 1, Integer::sum);
        }
      }
    }
    int once = (int) executions.values().stream().filter(n -> n == 1).count();
    int twice = (int) executions.values().stream().filter(n -> n > 1).count();
    int phantom =
        (int) answered.keySet().stream().filter(id -> !executions.containsKey(id)).count();
    Map<Status.Code, Integer> byCode = new EnumMap<>(Status.Code.class);
    codes.forEach((c, n) -> byCode.put(c, n.get()));
    Outcome o = new Outcome(byCode, once, twice, phantom, slowest.get(), millis);
    System.out.printf(
        "%n[ReplicaFailureIT] %s: %d calls in %d ms (%.0f/s), replica %s %d ms after the start;"
            + " outcomes %s; executed once %d, more than once %d, answered without execution %d;"
            + " slowest call %d ms (deadline %d ms); executions per replica %s%n",
        name,
        CALLS,
        millis,
        CALLS * 1000.0 / millis,
        hardKill ? "SIGKILLed" : "SIGTERMed",
        TimeUnit.NANOSECONDS.toMillis(stopAt - started),
        byCode,
        once,
        twice,
        phantom,
        slowest.get(),
        DEADLINE.toMillis(),
        logs.stream().map(ReplicaFailureIT::lines).toList());
    return o;
  }

  private static long lines(Path p) {
    try {
      return Files.exists(p) ? Files.readAllLines(p).size() : 0;
    } catch (IOException e) {
      return -1;
    }
  }

  private Map<String, String> env(
      String namespace, String pod, String sha256, Path configDir, String requestTopic) {
    Map<String, String> env = new HashMap<>();
    env.put(RuntimeContract.ENV_PLUGIN_NAME, "echo");
    env.put(RuntimeContract.ENV_NAMESPACE, namespace);
    env.put(RuntimeContract.ENV_PLUGIN_VERSION, "1.0.0");
    env.put(RuntimeContract.ENV_POD_NAME, pod);
    env.put(RuntimeContract.ENV_JAR_URL, pluginJar.toUri().toString());
    env.put(RuntimeContract.ENV_JAR_SHA256, sha256);
    env.put(RuntimeContract.ENV_PROVIDES, EchoService.SERVICE);
    env.put(RuntimeContract.ENV_REQUEST_TOPICS, EchoService.SERVICE + "=" + requestTopic);
    env.put(RuntimeContract.ENV_KAFKA_BOOTSTRAP, kafka.bootstrapServers());
    env.put(RuntimeContract.ENV_CONFIG_DIR, configDir.toString());
    env.put("COREBUS_TERMINATION_MESSAGE_PATH", tmp.resolve(pod + "-termination-log").toString());
    env.put("COREBUS_DOWNLOAD_DIR", tmp.resolve(pod + "-download").toString());
    env.put("COREBUS_GRPC_PORT", "-1");
    // The broker's minimum: a killed replica's partitions move after 6 s without heartbeats.
    env.put("COREBUS_BUS_SESSION_TIMEOUT", "6s");
    return env;
  }
}
