package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Artifact;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.crds.Replicas;
import io.corebus.crds.Rollout;
import io.corebus.crds.RolloutStrategy;
import io.corebus.localcluster.LocalClusterExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap on the local cluster with the real operator and runtimes: the shop runs with payment as
 * a HotSwap Plugin, orders flow (order calls payment over the bus), and a new payment jar is
 * swapped into the running pods with no failed order and no new pod. A jar that fails its checksum
 * is refused by every pod: the old version keeps serving every order and the Plugin says
 * HotSwapFailed until the spec goes back. Then the same kind of change is rolled out as Rolling,
 * and both durations (spec change to the Plugin's status saying every Ready pod runs the new
 * version) are printed as the hot-swap benchmark of docs/benchmarks.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HotSwapIT {
  @RegisterExtension
  static final LocalClusterExtension cluster =
      LocalClusterExtension.perClass(ShopCluster.options("hotswap-e2e"));

  static final ShopCluster shop = new ShopCluster(cluster);

  @TempDir static Path jars;

  static long hotSwapMillis;

  /** The jar the first swap loaded. */
  static Path swappedJar;

  static int hotSwapFailures;
  static final List<String> swapLines = new CopyOnWriteArrayList<>();

  @AfterAll
  static void closeOrderChannel() {
    shop.close();
  }

  @Test
  @Order(1)
  void theShopRunsWithAHotSwappablePayment() throws IOException {
    shop.applyShop(
        plugin -> {
          if (plugin.getMetadata().getName().equals("payment")) {
            // Two fixed replicas: the benchmark compares rollouts, not autoscaling.
            plugin.getSpec().setReplicas(new Replicas(2, 2));
            plugin.getSpec().setAutoscaling(null);
            Rollout rollout = new Rollout();
            rollout.setStrategy(RolloutStrategy.HotSwap);
            plugin.getSpec().setRollout(rollout);
          }
        });
    shop.awaitReady(ShopCluster.SHOP, Duration.ofSeconds(150));
  }

  @Test
  @Order(2)
  void aNewJarIsSwappedIntoTheRunningPodsWithNoFailedOrder() throws Exception {
    Set<String> podsBefore = shop.podNames("payment");
    assertThat(podsBefore).hasSize(2);
    Path jar = variant("1.1.0");
    swappedJar = jar;

    try (OrderLoad load = OrderLoad.start(shop::order, "swap", 1)) {
      load.awaitMore(20);
      long started = System.nanoTime();
      setPaymentJar("1.1.0", jar, null);
      awaitServing("1.1.0");
      hotSwapMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      load.awaitMore(50);
      load.stop();
      hotSwapFailures = load.failures().size();
      assertThat(load.failures()).as("orders that failed during the hot swap").isEmpty();
    }
    assertThat(shop.podNames("payment")).as("no pod recreated").isEqualTo(podsBefore);
    for (String pod : podsBefore) {
      String log = cluster.cluster().logs(pod);
      assertThat(log).contains("hot swap of payment to");
      log.lines()
          .filter(l -> l.contains("hot swap of payment to"))
          .forEach(l -> swapLines.add(pod + ": " + l.substring(l.indexOf("hot swap"))));
    }
  }

  @Test
  @Order(3)
  void aJarThatFailsItsChecksumLeavesTheRunningVersionServingAndSaysSo() throws Exception {
    Set<String> podsBefore = shop.podNames("payment");
    Path bad = variant("1.1.1");
    // Not the running jar's checksum either: pods already on the desired SHA-256 skip the swap.
    String wrongSha = "0".repeat(64);

    try (OrderLoad load = OrderLoad.start(shop::order, "swap", 1)) {
      load.awaitMore(20);
      shop.plugins()
          .withName("payment")
          .edit(
              p -> {
                p.getSpec().setVersion("1.1.1");
                p.getSpec().setArtifact(Artifact.ofJar(bad.toUri().toString(), wrongSha));
                return p;
              });
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .untilAsserted(
              () -> {
                PluginStatus s = shop.payment().getStatus();
                Condition degraded = s.condition(Condition.DEGRADED);
                assertThat(degraded.getStatus()).isEqualTo(Condition.TRUE);
                assertThat(degraded.getReason()).isEqualTo("HotSwapFailed");
                assertThat(degraded.getMessage()).contains("1.1.1");
                assertThat(podsBefore)
                    .allSatisfy(pod -> assertThat(degraded.getMessage()).contains(pod));
                assertThat(s.condition(Condition.PROGRESSING).getReason())
                    .isEqualTo("HotSwapFailed");
              });
      Condition degraded = shop.payment().getStatus().condition(Condition.DEGRADED);
      System.out.println("[HotSwapIT] failed swap: " + degraded.getMessage());
      load.awaitMore(50);
      load.stop();
      assertThat(load.failures()).as("orders that failed while the bad jar was refused").isEmpty();
    }
    PluginStatus s = shop.payment().getStatus();
    assertThat(s.condition(Condition.READY).getStatus()).isEqualTo(Condition.TRUE);
    assertThat(s.getVersions())
        .as("the running version keeps serving")
        .singleElement()
        .satisfies(v -> assertThat(v.getVersion()).isEqualTo("1.1.0"));
    assertThat(shop.podNames("payment")).as("no pod recreated").isEqualTo(podsBefore);

    // Back to the running jar: the failure is moot and the condition clears, with no swap.
    setPaymentJar("1.1.0", swappedJar, null);
    awaitServing("1.1.0");
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(
            () ->
                assertThat(shop.payment().getStatus().condition(Condition.DEGRADED).getStatus())
                    .isEqualTo(Condition.FALSE));
    assertThat(shop.podNames("payment")).isEqualTo(podsBefore);
  }

  @Test
  @Order(4)
  void theSameChangeRolledOutAsRollingForComparison() throws Exception {
    // Switching the strategy rolls the pods once (they must stop following the control topic).
    setPaymentJar(null, null, RolloutStrategy.Rolling);
    awaitServing("1.1.0");
    Path jar = variant("1.2.0");

    long rollingMillis;
    List<OrderLoad.Failure> rollingFailures;
    try (OrderLoad load = OrderLoad.start(shop::order, "swap", 1)) {
      load.awaitMore(20);
      long started = System.nanoTime();
      setPaymentJar("1.2.0", jar, null);
      awaitServing("1.2.0");
      rollingMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      load.awaitMore(50);
      load.stop();
      rollingFailures = load.failures();
    }
    System.out.printf(
        "%n[HotSwapBenchmark] payment, 2 replicas, orders flowing: spec change -> every Ready pod"
            + " serves the new version: hot swap %d ms (%d failed orders), rolling update %d ms"
            + " (%d failed orders%s); rolling/hot swap = %.1f%n",
        hotSwapMillis,
        hotSwapFailures,
        rollingMillis,
        rollingFailures.size(),
        rollingFailures.isEmpty() ? "" : ": " + rollingFailures.get(0),
        hotSwapMillis == 0 ? 0.0 : (double) rollingMillis / hotSwapMillis);
    swapLines.forEach(l -> System.out.println("[HotSwapBenchmark] in the runtime, " + l));
    assertThat(rollingMillis).isPositive();
  }

  // ---- helpers ----

  /** Changes payment's version and jar, or its rollout strategy. */
  static void setPaymentJar(String version, Path jar, RolloutStrategy strategy) throws IOException {
    String sha = jar == null ? null : sha256(jar);
    UnaryOperator<Plugin> edit =
        p -> {
          if (version != null) {
            p.getSpec().setVersion(version);
            p.getSpec().setArtifact(Artifact.ofJar(jar.toUri().toString(), sha));
          }
          if (strategy != null) {
            p.getSpec().getRollout().setStrategy(strategy);
          }
          return p;
        };
    shop.plugins().withName("payment").edit(edit);
  }

  /** Waits until payment's status says every Ready pod serves {@code version}, rollout done. */
  static void awaitServing(String version) {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              Plugin p = shop.payment();
              PluginStatus s = p.getStatus();
              assertThat(s.getObservedGeneration()).isEqualTo(p.getMetadata().getGeneration());
              assertThat(s.condition(Condition.PROGRESSING).getReason()).isEqualTo("Complete");
              assertThat(s.getReadyReplicas()).isEqualTo(2);
              assertThat(s.getVersions())
                  .singleElement()
                  .satisfies(v -> assertThat(v.getVersion()).isEqualTo(version));
            });
  }

  /** A copy of the payment jar with one more entry: another SHA-256, the same code. */
  static Path variant(String version) throws IOException {
    Path built = ShopCluster.ROOT.resolve("samples/shop/payment/target/payment-plugin.jar");
    Path out = jars.resolve("payment-plugin-" + version + ".jar");
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(built));
        ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        zip.putNextEntry(new ZipEntry(e.getName()));
        in.transferTo(zip);
        zip.closeEntry();
      }
      zip.putNextEntry(new ZipEntry("META-INF/corebus-e2e-variant.txt"));
      zip.write(version.getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    return out;
  }

  static String sha256(Path file) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
