package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.LocalCluster;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.localjar.LocalJar;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shop on a cluster with the real operator and plug-in runtime: the four Plugins of {@code
 * samples/shop/plugins} (with the local-jar rule) become Ready, PlaceOrder goes through order,
 * inventory and payment, and OrderPlaced reaches notification. The methods build on each other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopIT {

  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  static final Path PLUGINS = ROOT.resolve("samples/shop/plugins");
  static final List<String> SHOP = List.of("inventory", "notification", "order", "payment");

  @RegisterExtension
  static final LocalClusterExtension cluster =
      LocalClusterExtension.perRun(
          new LocalCluster.Options()
              .namespace("shop-e2e")
              .repositoryRoot(ROOT)
              .kafkaHeap("384m")
              .operatorHeap("256m")
              .withOperator()
              .awaitOperator(true, Duration.ofSeconds(120)));

  static ManagedChannel orderChannel;

  @AfterAll
  static void closeChannel() {
    if (orderChannel != null) {
      orderChannel.shutdownNow();
    }
  }

  @Test
  @Order(1)
  void theFourShopPluginsBecomeReady() throws IOException {
    KubernetesClient client = cluster.client();
    try (Stream<Path> files = Files.list(PLUGINS)) {
      for (Path yaml : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        Plugin plugin = Serialization.unmarshal(Files.readString(yaml), Plugin.class);
        Plugin local = LocalJar.resolve(plugin, PLUGINS).plugin();
        client
            .resources(Plugin.class)
            .inNamespace(cluster.namespace())
            .resource(local)
            .createOr(NonDeletingOperation::update);
      }
    }

    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(SHOP)
                    .allSatisfy(name -> assertThat(ready(name)).as(name + " Ready").isTrue()));
  }

  @Test
  @Order(2)
  void placeOrderGoesThroughInventoryAndPayment() {
    PlaceOrderReply reply =
        order()
            .placeOrder(
                PlaceOrderRequest.newBuilder()
                    .setCustomerId("alice")
                    .addLines(
                        OrderLine.newBuilder()
                            .setSku("apple")
                            .setQuantity(2)
                            .setUnitPriceCents(150))
                    .build());

    assertThat(reply.getOrderId()).isNotBlank();
    assertThat(reply.getTotalCents()).isEqualTo(300);
    assertThat(reply.getPaymentId()).as("charged by payment").isNotBlank();
  }

  @Test
  @Order(3)
  void aDeclinedPaymentIsFailedPreconditionForTheCaller() {
    // payment declines above maxAmountCents (100000 in payment.yaml)
    assertThatThrownBy(
            () ->
                order()
                    .placeOrder(
                        PlaceOrderRequest.newBuilder()
                            .setCustomerId("bob")
                            .addLines(
                                OrderLine.newBuilder()
                                    .setSku("pear")
                                    .setQuantity(1)
                                    .setUnitPriceCents(250_000))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).startsWith("payment declined");
            });
  }

  @Test
  @Order(4)
  void orderPlacedReachesNotification() {
    // the order of placeOrderGoesThroughInventoryAndPayment (at least) is counted as sent
    HttpClient http = HttpClient.newHttpClient();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              long sent = 0;
              for (String ip : readyPodIps("notification")) {
                String metrics =
                    http.send(
                            HttpRequest.newBuilder(
                                    URI.create(
                                        "http://"
                                            + ip
                                            + ":"
                                            + RuntimeContract.HTTP_PORT
                                            + RuntimeContract.METRICS_PATH))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                            HttpResponse.BodyHandlers.ofString())
                        .body();
                sent += notificationsSent(metrics);
              }
              assertThat(sent).isGreaterThanOrEqualTo(1);
            });
  }

  @Test
  @Order(5)
  void aPaymentPodDeletedUnderLoadIsRecreatedAndOrdersKeepFlowing() throws Exception {
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger placed =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean running =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread load =
        new Thread(
            () -> {
              while (running.get()) {
                try {
                  order()
                      .placeOrder(
                          PlaceOrderRequest.newBuilder()
                              .setCustomerId("carol")
                              .addLines(
                                  OrderLine.newBuilder()
                                      .setSku("pear")
                                      .setQuantity(1)
                                      .setUnitPriceCents(100))
                              .build());
                  placed.incrementAndGet();
                } catch (StatusRuntimeException e) {
                  failures.add(e.getStatus().toString());
                }
              }
            },
            "order-load");
    load.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> placed.get() >= 5);
      List<Pod> payments =
          cluster
              .client()
              .pods()
              .inNamespace(cluster.namespace())
              .withLabel("corebus.io/plugin", "payment")
              .list()
              .getItems();
      assertThat(payments).hasSizeGreaterThanOrEqualTo(2);
      Pod victim = payments.get(0);
      cluster.client().resource(victim).delete();

      // the operator recreates it (under the same name: pods are numbered per revision)
      await()
          .atMost(Duration.ofSeconds(90))
          .untilAsserted(
              () -> {
                assertThat(readyPodIps("payment")).hasSize(payments.size());
                assertThat(
                        cluster
                            .client()
                            .pods()
                            .inNamespace(cluster.namespace())
                            .withLabel("corebus.io/plugin", "payment")
                            .list()
                            .getItems())
                    .extracting(pod -> pod.getMetadata().getUid())
                    .doesNotContain(victim.getMetadata().getUid());
              });
      int before = placed.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> placed.get() >= before + 5);
    } finally {
      running.set(false);
      load.join(15_000);
    }
    // Not "no order lost" yet: a Charge sent to the going pod can miss order's 2 s payment
    // deadline while the consumer group rebalances (seen: one order in ~10 s of load). What must
    // hold: such orders fail as UNAVAILABLE (the caller may retry), never otherwise, and few.
    assertThat(failures)
        .as("orders that failed while a payment pod went away")
        .allSatisfy(f -> assertThat(f).contains("code=UNAVAILABLE", "payment is unavailable"))
        .hasSizeLessThanOrEqualTo(3);
  }

  @Test
  @Order(6)
  void scalingThroughTheScaleSubresourceAddsAPod() {
    // what kubectl scale plugin notification --replicas 2 does
    cluster
        .client()
        .resources(Plugin.class)
        .inNamespace(cluster.namespace())
        .withName("notification")
        .scale(2);

    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(readyPodIps("notification")).hasSize(2));
  }

  @Test
  @Order(7)
  void deletingAPluginRemovesItsPods() {
    cluster
        .client()
        .resources(Plugin.class)
        .inNamespace(cluster.namespace())
        .withName("notification")
        .delete();

    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(
                        cluster
                            .client()
                            .pods()
                            .inNamespace(cluster.namespace())
                            .withLabel("corebus.io/plugin", "notification")
                            .list()
                            .getItems())
                    .isEmpty());
  }

  static long notificationsSent(String metrics) {
    Matcher m =
        Pattern.compile(
                "(?m)^corebus_plugin_notifications_total\\{[^}]*outcome=\"sent\"[^}]*}\\s+(\\S+)")
            .matcher(metrics);
    long total = 0;
    while (m.find()) {
      total += (long) Double.parseDouble(m.group(1));
    }
    return total;
  }

  static OrderServiceGrpc.OrderServiceBlockingStub order() {
    if (orderChannel == null) {
      List<String> ips = readyPodIps("order");
      assertThat(ips).as("Ready order pods").isNotEmpty();
      orderChannel =
          NettyChannelBuilder.forAddress(ips.get(0), RuntimeContract.GRPC_PORT)
              .usePlaintext()
              .build();
    }
    return OrderServiceGrpc.newBlockingStub(orderChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static boolean ready(String plugin) {
    Plugin p =
        cluster
            .client()
            .resources(Plugin.class)
            .inNamespace(cluster.namespace())
            .withName(plugin)
            .get();
    if (p == null || p.getStatus() == null) {
      return false;
    }
    Condition c = p.getStatus().condition(Condition.READY);
    return c != null && Condition.TRUE.equals(c.getStatus());
  }

  static List<String> readyPodIps(String plugin) {
    return cluster
        .client()
        .pods()
        .inNamespace(cluster.namespace())
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems()
        .stream()
        .filter(ShopIT::podReady)
        .map(p -> p.getStatus().getPodIP())
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
}
