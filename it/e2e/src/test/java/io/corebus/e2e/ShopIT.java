package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.Replicas;
import io.corebus.crds.RolloutStrategy;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.LocalCluster;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.localjar.LocalJar;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
        client
            .resources(Plugin.class)
            .inNamespace(cluster.namespace())
            .resource(deployable(yaml))
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
  void aConfigChangeReachesTheRunningPaymentPodsWithoutARestart() {
    Plugin before = plugins().withName("payment").get();
    Map<String, String> original = new LinkedHashMap<>(before.getSpec().getConfig());
    assertThat(original).containsEntry("maxAmountCents", "100000");
    String revision = before.getStatus().getUpdateRevision();
    Map<String, String> uids = podUids("payment");
    Map<String, Integer> restarts = restartCounts("payment");
    assertThat(uids).hasSizeGreaterThanOrEqualTo(2);
    // a normal order: 300 cents, under the limit of payment.yaml
    PlaceOrderRequest twoApples = apples("grace", 2);
    PlaceOrderRequest oneApple = apples("grace", 1);
    assertThat(order().placeOrder(twoApples).getPaymentId()).isNotBlank();

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
      assertThat(order().placeOrder(oneApple).getPaymentId())
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
      assertThat(order().placeOrder(oneApple).getPaymentId()).as("still under 200").isNotBlank();
    }
    assertSamePaymentPods(uids, restarts, revision);

    // Back to payment.yaml's config, so the following tests see the shop as deployed.
    long restored = System.nanoTime();
    setPaymentConfig(original);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class) // declined until it arrives
        .untilAsserted(() -> assertThat(order().placeOrder(twoApples).getPaymentId()).isNotBlank());
    System.out.printf(
        "payment spec.config maxAmountCents back to 100000: first charged order %d ms after the"
            + " edit%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored));
    awaitInEveryLog(
        uids.keySet(), "payment rules now PaymentRules[currency=EUR, maxAmountCents=100000]");
    for (int i = 0; i < 10; i++) {
      assertThat(order().placeOrder(twoApples).getPaymentId()).isNotBlank();
    }
    assertSamePaymentPods(uids, restarts, revision);
  }

  /** Replaces the given keys of payment's spec.config (the others stay). */
  static void setPaymentConfig(Map<String, String> entries) {
    plugins()
        .withName("payment")
        .edit(
            p -> {
              p.getSpec().getConfig().putAll(entries);
              return p;
            });
  }

  static PlaceOrderRequest apples(String customer, int quantity) {
    return PlaceOrderRequest.newBuilder()
        .setCustomerId(customer)
        .addLines(
            OrderLine.newBuilder().setSku("apple").setQuantity(quantity).setUnitPriceCents(150))
        .build();
  }

  static void assertDeclined(PlaceOrderRequest request, long limitCents) {
    assertThatThrownBy(() -> order().placeOrder(request))
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
    Plugin now = plugins().withName("payment").get();
    assertThat(now.getStatus().getUpdateRevision()).as("payment's revision").isEqualTo(revision);
    assertThat(ready("payment")).as("payment Ready").isTrue();
  }

  static Map<String, String> podUids(String plugin) {
    Map<String, String> uids = new TreeMap<>();
    for (Pod pod : pods(plugin)) {
      uids.put(pod.getMetadata().getName(), pod.getMetadata().getUid());
    }
    return uids;
  }

  static Map<String, Integer> restartCounts(String plugin) {
    Map<String, Integer> restarts = new TreeMap<>();
    for (Pod pod : pods(plugin)) {
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
    List<String> failures = new ArrayList<>();
    for (int cycle = 1; cycle <= cycles; cycle++) {
      OrderLoad load = OrderLoad.start(ShopIT::order, "carol", 4);
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= 20);
        List<Pod> payments = pods("payment");
        assertThat(payments).hasSizeGreaterThanOrEqualTo(2);
        Pod victim = payments.get(cycle % payments.size());
        cluster.client().resource(victim).delete();

        // the operator recreates it (under the same name: pods are numbered per revision)
        await()
            .atMost(Duration.ofSeconds(90))
            .untilAsserted(
                () -> {
                  assertThat(readyPodIps("payment")).hasSize(payments.size());
                  assertThat(pods("payment"))
                      .extracting(pod -> pod.getMetadata().getUid())
                      .doesNotContain(victim.getMetadata().getUid());
                });
        int before = load.placed();
        await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= before + 20);
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
    Plugin before = plugins().withName("payment").get();
    String oldRevision = before.getStatus().getUpdateRevision();
    assertThat(oldRevision).isNotBlank();

    try (OrderLoad load = OrderLoad.start(ShopIT::order, "dave", 4)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= 20);
      // A new version, rolled pod by pod (the sample's canary takes minutes of analysis).
      plugins()
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
                Plugin now = plugins().withName("payment").get();
                String revision = now.getStatus().getUpdateRevision();
                assertThat(revision).as("new revision").isNotEqualTo(oldRevision);
                List<Pod> all = pods("payment");
                assertThat(all)
                    .as("payment pods, terminating ones included")
                    .hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(
                        pod ->
                            assertThat(pod.getMetadata().getLabels())
                                .containsEntry("corebus.io/revision", revision));
                assertThat(readyPodIps("payment")).hasSize(all.size());
                assertThat(ready("payment")).as("payment Ready").isTrue();
              });
      int rolled = load.placed();
      await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= rolled + 20);
      load.close();
      System.out.println("payment rolled to 1.0.1 under load: " + load);
      assertThat(load.failures()).as("orders that failed while payment rolled").isEmpty();
    }
  }

  @Test
  @Order(8)
  void aSecondProviderOfPaymentIsRejectedAndTheShopKeepsServing() throws Exception {
    Plugin copy = deployable(PLUGINS.resolve("payment.yaml"));
    copy.getMetadata().setName("payment-copy");

    try (OrderLoad load = OrderLoad.start(ShopIT::order, "erin", 2)) {
      plugins().resource(copy).create();

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                Plugin p = plugins().withName("payment-copy").get();
                assertThat(p.getStatus()).isNotNull();
                Condition ready = p.getStatus().condition(Condition.READY);
                assertThat(ready).isNotNull();
                assertThat(ready.getStatus()).isEqualTo(Condition.FALSE);
                assertThat(ready.getReason()).isEqualTo("DuplicateServiceProvider");
                assertThat(ready.getMessage()).contains("shop.payment.PaymentService", "'payment'");
              });
      assertThat(pods("payment-copy")).as("pods of the rejected Plugin").isEmpty();

      // Removing the rejected copy takes nothing of payment's with it: not its route, not its
      // request topic.
      plugins().withName("payment-copy").delete();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> plugins().withName("payment-copy").get() == null);
      int removed = load.placed();
      await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= removed + 20);
      load.close();
      System.out.println("payment-copy rejected and removed under load: " + load);
      assertThat(load.failures()).as("orders that failed meanwhile").isEmpty();
    }
    assertThat(ready("payment")).isTrue();
    try (Admin admin = admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .contains(topics().requests("shop.payment.PaymentService"));
    }
  }

  @Test
  @Order(9)
  void aPluginWhoseJarFailsItsChecksumSaysSoAndTheShopKeepsServing() throws Exception {
    // A copy of payment with a wrong sha256: its own name and no provided service, so it competes
    // with nobody; its runtime refuses the jar and exits, again and again.
    Plugin bad = deployable(PLUGINS.resolve("payment.yaml"));
    bad.getMetadata().setName("payment-badjar");
    bad.getSpec().setProvides(List.of());
    bad.getSpec().setAutoscaling(null);
    bad.getSpec().setReplicas(new Replicas(1, 1));
    bad.getSpec().setRollout(null);
    String wrongSha = "0".repeat(64);
    bad.getSpec().getArtifact().getJar().setSha256(wrongSha);

    try (OrderLoad load = OrderLoad.start(ShopIT::order, "frank", 2)) {
      plugins().resource(bad).create();

      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Plugin p = plugins().withName("payment-badjar").get();
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
                  assertThat(
                          cluster
                              .client()
                              .v1()
                              .events()
                              .inNamespace(cluster.namespace())
                              .list()
                              .getItems())
                      .filteredOn(e -> "payment-badjar".equals(e.getInvolvedObject().getName()))
                      .filteredOn(e -> "ArtifactChecksumMismatch".equals(e.getReason()))
                      .singleElement()
                      .satisfies(
                          e -> {
                            assertThat(e.getType()).isEqualTo("Warning");
                            assertThat(e.getMessage()).contains("ChecksumMismatch");
                          }));

      // Deleting it removes its crash-looping pod and nothing of payment's.
      plugins().withName("payment-badjar").delete();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(plugins().withName("payment-badjar").get()).isNull();
                assertThat(pods("payment-badjar")).isEmpty();
              });
      int removed = load.placed();
      await().atMost(Duration.ofSeconds(10)).until(() -> load.placed() >= removed + 20);
      load.close();
      System.out.println("payment-badjar failing its checksum, then deleted, under load: " + load);
      assertThat(load.failures()).as("orders that failed meanwhile").isEmpty();
    }
    assertThat(ready("payment")).isTrue();
  }

  @Test
  @Order(10)
  void scalingThroughTheScaleSubresourceAddsAPod() {
    // what kubectl scale plugin notification --replicas 2 does
    plugins().withName("notification").scale(2);

    await()
        .atMost(Duration.ofSeconds(90))
        .untilAsserted(() -> assertThat(readyPodIps("notification")).hasSize(2));
  }

  @Test
  @Order(11)
  void deletingAPluginRemovesItsPodsAndTopics() throws Exception {
    String deadLetters = topics().deadLetters("notification");
    String replySlots = topics().replyPrefix("notification");
    String orderPlaced = topics().events("shop.order.OrderPlaced");
    try (Admin admin = admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .contains(deadLetters, orderPlaced)
          .filteredOn(t -> t.startsWith(replySlots))
          .as("the reply slots of notification's two pods")
          .hasSize(2);

      plugins().withName("notification").delete();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(pods("notification")).isEmpty();
                assertThat(plugins().withName("notification").get())
                    .as("the Plugin, once its cleanup finished")
                    .isNull();
              });
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .as("notification's dead-letter topic and reply slots are gone")
          .doesNotContain(deadLetters)
          .noneMatch(t -> t.startsWith(replySlots))
          .as("the event topic stays: order still publishes to it")
          .contains(orderPlaced);
    }
    // and the shop still takes orders, with nobody subscribed to OrderPlaced
    assertThat(
            order()
                .placeOrder(
                    PlaceOrderRequest.newBuilder()
                        .setCustomerId("frank")
                        .addLines(
                            OrderLine.newBuilder()
                                .setSku("apple")
                                .setQuantity(1)
                                .setUnitPriceCents(150))
                        .build())
                .getPaymentId())
        .isNotBlank();
  }

  @Test
  @Order(12)
  void deletingTheLastUserOfAServiceAndAnEventTypeRemovesTheirTopics() throws Exception {
    // order provides OrderService alone, and with notification gone it is OrderPlaced's only user
    String requests = topics().requests("shop.order.OrderService");
    String orderPlaced = topics().events("shop.order.OrderPlaced");
    String deadLetters = topics().deadLetters("order");
    String replySlots = topics().replyPrefix("order");
    List<String> others =
        List.of(
            topics().requests("shop.payment.PaymentService"),
            topics().requests("shop.inventory.InventoryService"));
    try (Admin admin = admin()) {
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .contains(requests, orderPlaced, deadLetters)
          .containsAll(others)
          .anyMatch(t -> t.startsWith(replySlots));

      plugins().withName("order").delete();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(pods("order")).isEmpty();
                assertThat(plugins().withName("order").get()).isNull();
              });
      assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .as("order's request, event, dead-letter and reply-slot topics are gone")
          .doesNotContain(requests, orderPlaced, deadLetters)
          .noneMatch(t -> t.startsWith(replySlots))
          .as("payment's and inventory's stay")
          .containsAll(others);
    }
    assertThat(ready("payment")).isTrue();
    assertThat(ready("inventory")).isTrue();
  }

  static NonNamespaceOperation<Plugin, KubernetesResourceList<Plugin>, Resource<Plugin>> plugins() {
    return cluster.client().resources(Plugin.class).inNamespace(cluster.namespace());
  }

  /**
   * A shop YAML as this cluster can run it: on the local cluster with the local-jar rule (the
   * freshly built jar by file:// URL); on a real one as written (its jars must be published at the
   * YAML's URLs, see samples/shop/README.md).
   */
  static Plugin deployable(Path yaml) throws IOException {
    Plugin plugin = Serialization.unmarshal(Files.readString(yaml), Plugin.class);
    return cluster.cluster().isLocal() ? LocalJar.resolve(plugin, PLUGINS).plugin() : plugin;
  }

  /** The core's topic names in the test namespace. */
  static BusTopics topics() {
    return BusTopics.forNamespace(cluster.namespace());
  }

  static Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
  }

  static List<Pod> pods(String plugin) {
    return cluster
        .client()
        .pods()
        .inNamespace(cluster.namespace())
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems();
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
