package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.Replicas;
import io.corebus.crds.RolloutStrategy;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shop on a cluster with the real operator and plug-in runtime: the four Plugins of {@code
 * samples/shop/plugins} (with the local-jar rule) become Ready, PlaceOrder goes through order,
 * inventory and payment, and OrderPlaced reaches notification; a change of payment's spec.config
 * reaches its running pods without a restart (an invalid one is ignored); then, under steady order
 * traffic, a payment pod is deleted and payment is rolled to a new version with no failed order, an
 * invalid second provider of payment's service is rejected without touching payment, and
 * notification is scaled and deleted with its topics. The methods build on each other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShopIT {

  @RegisterExtension
  static final LocalClusterExtension cluster =
      LocalClusterExtension.perRun(ShopCluster.options("shop-e2e"));

  static final ShopCluster shop = new ShopCluster(cluster);

  @AfterAll
  static void closeOrderChannel() {
    shop.close();
  }

  @Test
  @Order(1)
  void theFourShopPluginsBecomeReady() throws IOException {
    shop.applyShop(plugin -> {});
    shop.awaitReady(ShopCluster.SHOP, Duration.ofSeconds(150));
  }

  @Test
  @Order(2)
  void placeOrderGoesThroughInventoryAndPayment() {
    PlaceOrderReply reply = shop.order().placeOrder(ShopCluster.apples("alice", 2));

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
                shop.order()
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
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(shop.notificationsSent()).isGreaterThanOrEqualTo(1));
  }

  @Test
  @Order(5)
  void aConfigChangeReachesTheRunningPaymentPodsWithoutARestart() {
    Plugin before = shop.plugins().withName("payment").get();
    Map<String, String> original = new LinkedHashMap<>(before.getSpec().getConfig());
    assertThat(original).containsEntry("maxAmountCents", "100000");
    String revision = before.getStatus().getUpdateRevision();
    Map<String, String> uids = podUids("payment");
    Map<String, Integer> restarts = restartCounts("payment");
    assertThat(uids).hasSizeGreaterThanOrEqualTo(2);
    // a normal order: 300 cents, under the limit of payment.yaml
    PlaceOrderRequest twoApples = ShopCluster.apples("grace", 2);
    PlaceOrderRequest oneApple = ShopCluster.apples("grace", 1);
    assertThat(shop.order().placeOrder(twoApples).getPaymentId()).isNotBlank();

    // Locally the chain is event-driven (operator -> ConfigMap -> the kubelet's ..data swap) and
    // then the runtime's poll (every 2 s): seconds. A real kubelet refreshes a mounted ConfigMap
    // on its sync (about a minute), hence the room.
    long edited = System.nanoTime();
    setPaymentConfig(Map.of("maxAmountCents", "200"));
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertDeclined(twoApples, 200));
    long firstDeclined = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - edited);
    // every pod took the new rules, not only the one that answered
    awaitInEveryLog(
        uids.keySet(), "payment rules now PaymentRules[currency=EUR, maxAmountCents=200]");
    long everyPod = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - edited);
    System.out.printf(
        "payment spec.config maxAmountCents 100000 -> 200: first declined order %d ms after the"
            + " edit, every pod's log showing the new rules by %d ms%n",
        firstDeclined, everyPod);
    for (int i = 0; i < 10; i++) {
      assertDeclined(twoApples, 200);
      assertThat(shop.order().placeOrder(oneApple).getPaymentId())
          .as("150 cents, under 200")
          .isNotBlank();
    }
    assertSamePaymentPods(uids, restarts, revision);

    // An invalid value: the running pods log it and keep their last good rules.
    setPaymentConfig(Map.of("maxAmountCents", "lots"));
    awaitInEveryLog(
        uids.keySet(),
        "ignoring the configuration change, keeping the previous rules: "
            + "maxAmountCents must be a positive whole number of cents, got 'lots'");
    for (int i = 0; i < 10; i++) {
      assertDeclined(twoApples, 200);
      assertThat(shop.order().placeOrder(oneApple).getPaymentId())
          .as("still under 200")
          .isNotBlank();
    }
    assertSamePaymentPods(uids, restarts, revision);

    // Back to payment.yaml's config, so the following tests see the shop as deployed.
    long restored = System.nanoTime();
    setPaymentConfig(original);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class) // declined until it arrives
        .untilAsserted(
            () -> assertThat(shop.order().placeOrder(twoApples).getPaymentId()).isNotBlank());
    System.out.printf(
        "payment spec.config maxAmountCents back to 100000: first charged order %d ms after the"
            + " edit%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored));
    awaitInEveryLog(
        uids.keySet(), "payment rules now PaymentRules[currency=EUR, maxAmountCents=100000]");
    for (int i = 0; i < 10; i++) {
      assertThat(shop.order().placeOrder(twoApples).getPaymentId()).isNotBlank();
    }
    assertSamePaymentPods(uids, restarts, revision);
  }

  /** Replaces the given keys of payment's spec.config (the others stay). */
  static void setPaymentConfig(Map<String, String> entries) {
    shop.plugins()
        .withName("payment")
        .edit(
            p -> {
              p.getSpec().getConfig().putAll(entries);
              return p;
            });
  }

  static void assertDeclined(PlaceOrderRequest request, long limitCents) {
    assertThatThrownBy(() -> shop.order().placeOrder(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .startsWith("payment declined")
                  .endsWith("over the limit of " + limitCents + " EUR cents");
            });
  }

  static void awaitInEveryLog(Iterable<String> pods, String line) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              for (String pod : pods) {
                assertThat(cluster.cluster().logs(pod)).as("log of " + pod).contains(line);
              }
            });
  }

  /** The same payment pods (names and UIDs) with no restart, on the same revision, and Ready. */
  static void assertSamePaymentPods(
      Map<String, String> uids, Map<String, Integer> restarts, String revision) {
    assertThat(podUids("payment")).as("payment pods (name -> UID)").isEqualTo(uids);
    assertThat(restartCounts("payment")).as("restarts of payment's pods").isEqualTo(restarts);
    Plugin now = shop.plugins().withName("payment").get();
    assertThat(now.getStatus().getUpdateRevision()).as("payment's revision").isEqualTo(revision);
    assertThat(shop.ready("payment")).as("payment Ready").isTrue();
  }

  static Map<String, String> podUids(String plugin) {
    Map<String, String> uids = new TreeMap<>();
    for (Pod pod : shop.pods(plugin)) {
      uids.put(pod.getMetadata().getName(), pod.getMetadata().getUid());
    }
    return uids;
  }

  static Map<String, Integer> restartCounts(String plugin) {
    Map<String, Integer> restarts = new TreeMap<>();
    for (Pod pod : shop.pods(plugin)) {
      int count = 0;
      for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
        count += c.getRestartCount();
      }
      restarts.put(pod.getMetadata().getName(), count);
    }
    return restarts;
  }

  @Test
  @Order(6)
  void aPaymentPodDeletedUnderLoadIsRecreatedAndNoOrderFails() throws Exception {
    // -Dcorebus.e2e.deleteCycles=N repeats it (to measure how often an order fails)
    int cycles = Integer.getInteger("corebus.e2e.deleteCycles", 1);
    List<OrderLoad.Failure> failures = new ArrayList<>();
    for (int cycle = 1; cycle <= cycles; cycle++) {
      OrderLoad load = OrderLoad.start(shop::order, "carol", 4);
      try {
        load.awaitPlaced(20, Duration.ofSeconds(10));
        List<Pod> payments = shop.pods("payment");
        assertThat(payments).hasSizeGreaterThanOrEqualTo(2);
        Pod victim = payments.get(cycle % payments.size());
        cluster.client().resource(victim).delete();

        // the operator recreates it (under the same name: pods are numbered per revision)
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () -> {
                  assertThat(shop.readyPodIps("payment")).hasSize(payments.size());
                  assertThat(shop.pods("payment"))
                      .extracting(pod -> pod.getMetadata().getUid())
                      .doesNotContain(victim.getMetadata().getUid());
                });
        load.awaitMore(20, Duration.ofSeconds(10));
      } finally {
        load.close();
      }
      System.out.printf("payment pod deletion %d of %d under load: %s%n", cycle, cycles, load);
      failures.addAll(load.failures());
    }
    assertThat(failures)
        .as("orders that failed while a payment pod went away and came back")
        .isEmpty();
  }

  @Test
  @Order(7)
  void anUpdateOfPaymentRollsItsPodsWithNoFailedOrder() throws Exception {
    Plugin before = shop.plugins().withName("payment").get();
    String oldRevision = before.getStatus().getUpdateRevision();
    assertThat(oldRevision).isNotBlank();

    try (OrderLoad load = OrderLoad.start(shop::order, "dave", 4)) {
      load.awaitPlaced(20, Duration.ofSeconds(10));
      // A new version, rolled pod by pod (the sample's canary takes minutes of analysis).
      shop.plugins()
          .withName("payment")
          .edit(
              p -> {
                p.getSpec().setVersion("1.0.1");
                p.getSpec().getRollout().setStrategy(RolloutStrategy.Rolling);
                return p;
              });

      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Plugin now = shop.plugins().withName("payment").get();
                String revision = now.getStatus().getUpdateRevision();
                assertThat(revision).as("new revision").isNotEqualTo(oldRevision);
                List<Pod> all = shop.pods("payment");
                assertThat(all)
                    .as("payment pods, terminating ones included")
                    .hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(
                        pod ->
                            assertThat(pod.getMetadata().getLabels())
                                .containsEntry("corebus.io/revision", revision));
                assertThat(shop.readyPodIps("payment")).hasSize(all.size());
                assertThat(shop.ready("payment")).as("payment Ready").isTrue();
              });
      load.awaitMore(20, Duration.ofSeconds(10));
      load.close();
      System.out.println("payment rolled to 1.0.1 under load: " + load);
      assertThat(load.failures()).as("orders that failed while payment rolled").isEmpty();
    }
  }

  @Test
  @Order(8)
  void aSecondProviderOfPaymentIsRejectedAndTheShopKeepsServing() throws Exception {
    Plugin copy = shop.deployable("payment");
    copy.getMetadata().setName("payment-copy");

    try (OrderLoad load = OrderLoad.start(shop::order, "erin", 2)) {
      shop.plugins().resource(copy).create();

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                Plugin p = shop.plugins().withName("payment-copy").get();
                assertThat(p.getStatus()).isNotNull();
                Condition ready = p.getStatus().condition(Condition.READY);
                assertThat(ready).isNotNull();
                assertThat(ready.getStatus()).isEqualTo(Condition.FALSE);
                assertThat(ready.getReason()).isEqualTo("DuplicateServiceProvider");
                assertThat(ready.getMessage()).contains("shop.payment.PaymentService", "'payment'");
              });
      assertThat(shop.pods("payment-copy")).as("pods of the rejected Plugin").isEmpty();

      // Removing the rejected copy takes nothing of payment's with it: not its route, not its
      // request topic.
      shop.plugins().withName("payment-copy").delete();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> shop.plugins().withName("payment-copy").get() == null);
      load.awaitMore(20, Duration.ofSeconds(10));
      load.close();
      System.out.println("payment-copy rejected and removed under load: " + load);
      assertThat(load.failures()).as("orders that failed meanwhile").isEmpty();
    }
    assertThat(shop.ready("payment")).isTrue();
    try (Admin admin = shop.admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .contains(shop.topics().requests("shop.payment.PaymentService"));
    }
  }

  @Test
  @Order(9)
  void aPluginWhoseJarFailsItsChecksumSaysSoAndTheShopKeepsServing() throws Exception {
    // A copy of payment with a wrong sha256: its own name and no provided service, so it competes
    // with nobody; its runtime refuses the jar and exits, again and again.
    Plugin bad = shop.deployable("payment");
    bad.getMetadata().setName("payment-badjar");
    bad.getSpec().setProvides(List.of());
    bad.getSpec().setAutoscaling(null);
    bad.getSpec().setReplicas(new Replicas(1, 1));
    bad.getSpec().setRollout(null);
    String wrongSha = "0".repeat(64);
    bad.getSpec().getArtifact().getJar().setSha256(wrongSha);

    try (OrderLoad load = OrderLoad.start(shop::order, "frank", 2)) {
      shop.plugins().resource(bad).create();

      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Plugin p = shop.plugins().withName("payment-badjar").get();
                assertThat(p.getStatus()).isNotNull();
                Condition ready = p.getStatus().condition(Condition.READY);
                assertThat(ready.getStatus()).isEqualTo(Condition.FALSE);
                assertThat(ready.getReason()).isEqualTo("ArtifactChecksumMismatch");
                assertThat(ready.getMessage())
                    .startsWith("0/1 pods ready; pod payment-badjar-")
                    .contains("ChecksumMismatch: the plug-in jar from", "has SHA-256");
                Condition degraded = p.getStatus().condition(Condition.DEGRADED);
                assertThat(degraded.getStatus()).isEqualTo(Condition.TRUE);
                assertThat(degraded.getReason()).isEqualTo("ArtifactChecksumMismatch");
              });
      // kubectl describe plugin payment-badjar shows it once, as a Warning.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(shop.events("payment-badjar", "ArtifactChecksumMismatch"))
                      .singleElement()
                      .satisfies(
                          e -> {
                            assertThat(e.getType()).isEqualTo("Warning");
                            assertThat(e.getMessage()).contains("ChecksumMismatch");
                          }));

      // Deleting it removes its crash-looping pod and nothing of payment's.
      shop.plugins().withName("payment-badjar").delete();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(shop.plugins().withName("payment-badjar").get()).isNull();
                assertThat(shop.pods("payment-badjar")).isEmpty();
              });
      load.awaitMore(20, Duration.ofSeconds(10));
      load.close();
      System.out.println("payment-badjar failing its checksum, then deleted, under load: " + load);
      assertThat(load.failures()).as("orders that failed meanwhile").isEmpty();
    }
    assertThat(shop.ready("payment")).isTrue();
  }

  @Test
  @Order(10)
  void scalingThroughTheScaleSubresourceAddsAPod() {
    // what kubectl scale plugin notification --replicas 2 does
    shop.plugins().withName("notification").scale(2);

    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(shop.readyPodIps("notification")).hasSize(2));
  }

  @Test
  @Order(11)
  void deletingAPluginRemovesItsPodsAndTopics() throws Exception {
    String deadLetters = shop.topics().deadLetters("notification");
    String replySlots = shop.topics().replyPrefix("notification");
    String orderPlaced = shop.topics().events("shop.order.OrderPlaced");
    try (Admin admin = shop.admin()) {
      // A new pod's slot, or a replaced pod's slot being deleted, may take a moment to show.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                      .contains(deadLetters, orderPlaced)
                      .filteredOn(t -> t.startsWith(replySlots))
                      .as("the reply slots of notification's two pods")
                      .hasSize(2));

      shop.plugins().withName("notification").delete();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(shop.pods("notification")).isEmpty();
                assertThat(shop.plugins().withName("notification").get())
                    .as("the Plugin, once its cleanup finished")
                    .isNull();
                // in the same wait: the broker's listing follows the deletions a moment later
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("notification's dead-letter topic and reply slots are gone")
                    .doesNotContain(deadLetters)
                    .noneMatch(t -> t.startsWith(replySlots))
                    .as("the event topic stays: order still publishes to it")
                    .contains(orderPlaced);
              });
    }
    // and the shop still takes orders, with nobody subscribed to OrderPlaced
    assertThat(shop.order().placeOrder(ShopCluster.apples("frank", 1)).getPaymentId()).isNotBlank();
  }

  @Test
  @Order(12)
  void deletingTheLastUserOfAServiceAndAnEventTypeRemovesTheirTopics() throws Exception {
    // order provides OrderService alone, and with notification gone it is OrderPlaced's only user
    String requests = shop.topics().requests("shop.order.OrderService");
    String orderPlaced = shop.topics().events("shop.order.OrderPlaced");
    String deadLetters = shop.topics().deadLetters("order");
    String replySlots = shop.topics().replyPrefix("order");
    List<String> others =
        List.of(
            shop.topics().requests("shop.payment.PaymentService"),
            shop.topics().requests("shop.inventory.InventoryService"));
    try (Admin admin = shop.admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .contains(requests, orderPlaced, deadLetters)
          .containsAll(others)
          .anyMatch(t -> t.startsWith(replySlots));

      shop.plugins().withName("order").delete();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(shop.pods("order")).isEmpty();
                assertThat(shop.plugins().withName("order").get()).isNull();
                assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("order's request, event, dead-letter and reply-slot topics are gone")
                    .doesNotContain(requests, orderPlaced, deadLetters)
                    .noneMatch(t -> t.startsWith(replySlots))
                    .as("payment's and inventory's stay")
                    .containsAll(others);
              });
    }
    assertThat(shop.ready("payment")).isTrue();
    assertThat(shop.ready("inventory")).isTrue();
  }
}
