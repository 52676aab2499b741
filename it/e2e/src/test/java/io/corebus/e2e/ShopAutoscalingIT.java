package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Autoscaling;
import io.corebus.crds.AutoscalingMode;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.crds.Replicas;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's autoscaling with real runtimes on the local cluster, in a namespace of its own:
 * order, inventory and payment of the shop, payment autoscaled on qps (target 3 per pod, 1 to 4
 * pods) and notification with min 0. Orders are placed through order's direct gRPC at a fixed rate;
 * order calls payment over the bus, so payment's runtimes report the calls in their telemetry. A 4x
 * load step scales payment from 1 to 4 pods (the times to the decision and to 4 serving pods are
 * printed: docs/benchmarks.md); the OrderPlaced events wake notification from zero, and it goes
 * back to zero when idle.
 */
class ShopAutoscalingIT {
  static final String NS = "scale-e2e";

  // The same options as ShopIT: one local cluster per run, shared.
  @RegisterExtension
  static final LocalClusterExtension cluster =
      LocalClusterExtension.perRun(ShopCluster.options("shop-e2e"));

  static final ShopCluster shop = new ShopCluster(cluster, NS);

  static ScheduledExecutorService callers;
  static final AtomicInteger placed = new AtomicInteger();
  static final AtomicInteger failed = new AtomicInteger();
  static final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
  static final long testStart = System.nanoTime();

  @BeforeAll
  static void startTheShop() throws Exception {
    KubernetesClient client = cluster.client();
    if (client.namespaces().withName(NS).get() == null) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
          .create();
    }
    shop.apply(
        List.of("inventory", "order", "payment", "notification"),
        local -> {
          local.getSpec().setRollout(null);
          String name = local.getMetadata().getName();
          if (name.equals("payment")) {
            autoscale(local, 1, 4, 3, 60);
          } else if (name.equals("notification")) {
            autoscale(local, 0, 1, 100, 20);
          } else {
            local.getSpec().setReplicas(new Replicas(1, 1));
            local.getSpec().setAutoscaling(null);
          }
        });
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(List.of("inventory", "order", "payment"))
                    .allSatisfy(
                        n -> assertThat(shop.readyPods(n)).as(n + " Ready pods").isEqualTo(1)));
    shop.order(); // the channel to order's pod, opened here rather than in a caller's thread
    callers = Executors.newScheduledThreadPool(16);
  }

  @AfterAll
  static void stop() {
    if (callers != null) {
      callers.shutdownNow();
    }
    shop.close();
  }

  static void autoscale(Plugin p, int min, int max, int targetQps, int stabilizationSeconds) {
    p.getSpec().setReplicas(new Replicas(min, max));
    Autoscaling a = new Autoscaling();
    a.setMode(AutoscalingMode.Qps);
    a.setTargetQpsPerReplica(targetQps);
    a.setScaleDownStabilizationSeconds(stabilizationSeconds);
    p.getSpec().setAutoscaling(a);
  }

  /** Places orders at {@code rate} per second until the returned task is cancelled. */
  static ScheduledFuture<?> orders(double rate) {
    return callers.scheduleAtFixedRate(
        () -> {
          try {
            shop.order()
                .placeOrder(
                    PlaceOrderRequest.newBuilder()
                        .setCustomerId("dave")
                        .addLines(
                            OrderLine.newBuilder()
                                .setSku("apple")
                                .setQuantity(1)
                                .setUnitPriceCents(100))
                        .build());
            placed.incrementAndGet();
          } catch (RuntimeException e) {
            failed.incrementAndGet();
            failures.add(String.format(Locale.ROOT, "at %.1f s: %s", seconds(testStart), e));
          }
        },
        0,
        (long) (1_000_000 / rate),
        TimeUnit.MICROSECONDS);
  }

  @Test
  void aLoadStepScalesPaymentUpAtOnceAndNotificationComesBackFromZeroAndGoesAgain()
      throws Exception {
    // notification starts at zero: min 0 and nothing to do.
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(status("notification").getDesiredReplicas()).isZero();
              assertThat(shop.pods("notification").size()).isZero();
            });

    long firstOrder = System.nanoTime();
    ScheduledFuture<?> base = orders(2.5);
    // The OrderPlaced events waiting on notification's topic wake it from zero.
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(status("notification").getDesiredReplicas()).isEqualTo(1));
    double wakeDecided = seconds(firstOrder);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(shop.readyPods("notification")).isEqualTo(1));
    double wakeReady = seconds(firstOrder);
    System.out.printf(
        Locale.ROOT,
        "scale from zero (notification, events waiting): decision after %.1f s, pod Ready after"
            + " %.1f s from the first order%n",
        wakeDecided,
        wakeReady);
    // 2.5 orders/s: one payment pod (target 3 qps per pod).
    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(
            () -> {
              PluginStatus payment = status("payment");
              assertThat(payment.getQps()).isNotNull().isGreaterThan(1.5);
              assertThat(payment.getDesiredReplicas()).isEqualTo(1);
            });

    // The 4x step: 10 orders/s, 4 pods at 3 qps per pod.
    long step = System.nanoTime();
    mark("4x step starts");
    ScheduledFuture<?> more = orders(7.5);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(status("payment").getDesiredReplicas()).isGreaterThan(1));
    double firstDecision = seconds(step);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(status("payment").getDesiredReplicas()).isEqualTo(4));
    double decided = seconds(step);
    mark("payment desired 4");
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(shop.readyPods("payment")).isEqualTo(4));
    double serving = seconds(step);
    mark("payment 4 pods Ready");
    System.out.printf(
        Locale.ROOT,
        "4x load step on payment (2.5 -> 10 orders/s, target 3 qps per pod): first scale-up"
            + " decision after %.1f s, decision for 4 pods after %.1f s, 4 pods Ready after %.1f"
            + " s%n",
        firstDecision,
        decided,
        serving);

    // A square wave: 10 s at 2.5 orders/s, 10 s at 15, for a minute. The low halves ask for fewer
    // pods (3 on the 30 s average), but never for the whole 30 s stabilization window: no
    // flapping, 4 pods throughout.
    more.cancel(false);
    java.util.concurrent.atomic.AtomicReference<ScheduledFuture<?>> high =
        new java.util.concurrent.atomic.AtomicReference<>();
    ScheduledFuture<?> wave =
        callers.scheduleAtFixedRate(
            () -> {
              ScheduledFuture<?> h = high.getAndSet(null);
              if (h != null) {
                h.cancel(false);
              } else {
                high.set(orders(12.5));
              }
            },
            10,
            10,
            TimeUnit.SECONDS);
    List<Integer> desiredSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    await()
        .during(Duration.ofSeconds(60))
        .atMost(Duration.ofSeconds(65))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              desiredSeen.add(status("payment").getDesiredReplicas());
              return true;
            });
    wave.cancel(false);
    ScheduledFuture<?> last = high.getAndSet(null);
    if (last != null) {
      last.cancel(false);
    }
    assertThat(desiredSeen).as("payment's count under the square wave").containsOnly(4);
    mark("square wave over");

    // Back to 2.5 orders/s: the 4 pods stay for the stabilization window (60 s), then go.
    await()
        .during(Duration.ofSeconds(20))
        .atMost(Duration.ofSeconds(25))
        .until(() -> shop.pods("payment").size() == 4);
    await()
        .atMost(Duration.ofSeconds(120))
        .untilAsserted(() -> assertThat(status("payment").getDesiredReplicas()).isLessThan(4));
    mark("payment scales in to " + status("payment").getDesiredReplicas());

    // No load at all: notification, idle, goes back to zero.
    base.cancel(false);
    await()
        .atMost(Duration.ofSeconds(150))
        .untilAsserted(
            () -> {
              assertThat(shop.pods("notification").size()).isZero();
              Condition c = status("notification").condition("Autoscaling");
              assertThat(c).isNotNull();
              assertThat(c.getReason()).isEqualTo("ScaledToZero");
            });
    System.out.printf(Locale.ROOT, "orders placed %d, failed %d%n", placed.get(), failed.get());
    failures.forEach(f -> System.out.println("failed order " + f));
    assertThat(placed.get()).isPositive();
    // Payment's consumers hand partitions over on every scale-up (cooperative rebalance: the old
    // owner finishes and commits, the new one starts there) and scale-down (SIGTERM drain): with
    // the 250 ms group heartbeat no Charge waits long enough to miss order's 2 s deadline.
    assertThat(failures).as("failed orders out of %d", placed.get()).isEmpty();
  }

  /** Prints when something happened, on the clock of the failure detail. */
  static void mark(String what) {
    System.out.printf(Locale.ROOT, "at %.1f s: %s%n", seconds(testStart), what);
  }

  static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }

  static PluginStatus status(String name) {
    Plugin p = shop.plugin(name);
    assertThat(p).isNotNull();
    assertThat(p.getStatus()).as(name + " has a status").isNotNull();
    return p.getStatus();
  }
}
