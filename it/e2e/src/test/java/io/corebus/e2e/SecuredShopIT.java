package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
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
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shop on a secured bus (SASL/SCRAM-SHA-512, the standard authorizer with no access without an
 * ACL, signed calls): the operator logs in as the broker's super user and gives each plug-in its
 * own principal, ACLs and signing key in the Secret {@code <plugin>-kafka}. The four plug-ins
 * become Ready with that Secret mounted, orders go through order, inventory and payment with none
 * failing, and OrderPlaced reaches notification; and, from outside, notification's own credentials
 * log in but cannot read payment's requests. Its own cluster (per class): the other e2e classes
 * share an unsecured one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecuredShopIT {

  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  static final Path PLUGINS = ROOT.resolve("samples/shop/plugins");
  static final List<String> SHOP = List.of("inventory", "notification", "order", "payment");

  static final LocalCluster.Options OPTIONS =
      new LocalCluster.Options()
          .namespace("shop-secured")
          .securedBus()
          .repositoryRoot(ROOT)
          .kafkaHeap("384m")
          .operatorHeap("256m")
          .withOperator()
          .awaitOperator(true, Duration.ofSeconds(120));

  static {
    // Pod IPs of its own: the run's shared cluster (ShopIT's) may still be up on 127.0.1.x.
    OPTIONS.kubelet().firstAddressBlock(200);
  }

  @RegisterExtension
  static final LocalClusterExtension cluster = LocalClusterExtension.perClass(OPTIONS);

  static ManagedChannel orderChannel;

  @AfterAll
  static void closeChannel() {
    if (orderChannel != null) {
      orderChannel.shutdownNow();
    }
  }

  @Test
  @Order(1)
  void theShopBecomesReadyWithEachPluginsCredentialsMounted() throws IOException {
    assertThat(cluster.cluster().kafka().isSecured()).as("the broker requires SCRAM").isTrue();
    for (String name : SHOP) {
      cluster
          .client()
          .resources(Plugin.class)
          .inNamespace(cluster.namespace())
          .resource(deployable(PLUGINS.resolve(name + ".yaml")))
          .createOr(NonDeletingOperation::update);
    }

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(SHOP)
                    .allSatisfy(name -> assertThat(ready(name)).as(name + " Ready").isTrue()));

    for (String name : SHOP) {
      Secret secret = secret(name);
      assertThat(secret).as("Secret " + name + "-kafka").isNotNull();
      assertThat(decoded(secret, RuntimeContract.KAFKA_USERNAME_FILE))
          .isEqualTo(BusPermissions.userName(topics(), name));
      assertThat(pods(name))
          .as(name + " pods")
          .isNotEmpty()
          .allSatisfy(pod -> assertMountsCredentials(pod, name + "-kafka"));
    }
  }

  @Test
  @Order(2)
  void ordersGoThroughPaymentAndInventoryOverTheSecuredBus() throws Exception {
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

    try (OrderLoad load = OrderLoad.start(SecuredShopIT::order, "carol", 4)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> load.placed() >= 50);
      load.close();
      System.out.println("orders on the secured bus: " + load);
      assertThat(load.failures()).as("orders that failed on the secured bus").isEmpty();
    }
  }

  @Test
  @Order(3)
  void orderPlacedReachesNotification() {
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
                sent += ShopIT.notificationsSent(metrics);
              }
              // alice's order and carol's fifty, at least
              assertThat(sent).isGreaterThanOrEqualTo(51);
            });
  }

  @Test
  @Order(4)
  void notificationsCredentialsCannotReadPaymentsRequests() {
    TopicPartition paymentRequests =
        new TopicPartition(topics().requests("shop.payment.PaymentService"), 0);

    // notification logs in (its password is right) and is refused by the authorizer
    try (KafkaConsumer<byte[], byte[]> notification = consumerAs("notification")) {
      notification.assign(List.of(paymentRequests));
      notification.seekToBeginning(List.of(paymentRequests));
      Throwable refused =
          catchThrowable(
              () ->
                  await()
                      .atMost(Duration.ofSeconds(20))
                      .until(() -> !notification.poll(Duration.ofMillis(500)).isEmpty()));
      Throwable cause = refused;
      while (cause != null && !(cause instanceof TopicAuthorizationException)) {
        cause = cause.getCause();
      }
      assertThat(cause)
          .as("what notification's read of payment's requests ends with: %s", refused)
          .isInstanceOfSatisfying(
              TopicAuthorizationException.class,
              e -> assertThat(e.unauthorizedTopics()).containsExactly(paymentRequests.topic()));
    }

    // the same read with payment's credentials gets the orders of the tests above
    try (KafkaConsumer<byte[], byte[]> payment = consumerAs("payment")) {
      payment.assign(List.of(paymentRequests));
      payment.seekToBeginning(List.of(paymentRequests));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !payment.poll(Duration.ofMillis(500)).isEmpty());
    }
  }

  /** A consumer logged in as {@code plugin}, with the credentials the operator gave it. */
  static KafkaConsumer<byte[], byte[]> consumerAs(String plugin) {
    Secret secret = secret(plugin);
    Map<String, Object> props =
        new HashMap<>(
            cluster
                .cluster()
                .kafka()
                .clientProperties(
                    decoded(secret, RuntimeContract.KAFKA_USERNAME_FILE),
                    decoded(secret, RuntimeContract.KAFKA_PASSWORD_FILE)));
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(props);
  }

  static void assertMountsCredentials(Pod pod, String secretName) {
    String podName = pod.getMetadata().getName();
    assertThat(pod.getSpec().getVolumes())
        .as(podName + " volumes")
        .filteredOn(v -> v.getSecret() != null)
        .extracting(Volume::getSecret)
        .anySatisfy(s -> assertThat(s.getSecretName()).isEqualTo(secretName));
    String volume =
        pod.getSpec().getVolumes().stream()
            .filter(v -> v.getSecret() != null && secretName.equals(v.getSecret().getSecretName()))
            .findFirst()
            .orElseThrow()
            .getName();
    Container runtime =
        pod.getSpec().getContainers().stream()
            .filter(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
            .findFirst()
            .orElseThrow();
    assertThat(runtime.getVolumeMounts())
        .as(podName + " mounts")
        .anySatisfy(
            m -> {
              assertThat(m.getName()).isEqualTo(volume);
              assertThat(m.getMountPath()).isEqualTo(RuntimeContract.KAFKA_CREDENTIALS_PATH);
              assertThat(m.getReadOnly()).isTrue();
            });
    String password = decoded(secret(pod), RuntimeContract.KAFKA_PASSWORD_FILE);
    assertThat(runtime.getEnv())
        .as(podName + ": no password in the environment")
        .noneMatch(e -> password.equals(e.getValue()));
  }

  static Secret secret(Pod pod) {
    return secret(pod.getMetadata().getLabels().get("corebus.io/plugin"));
  }

  static Secret secret(String plugin) {
    return cluster
        .client()
        .secrets()
        .inNamespace(cluster.namespace())
        .withName(plugin + "-kafka")
        .get();
  }

  static String decoded(Secret secret, String key) {
    assertThat(secret.getData()).as(secret.getMetadata().getName()).containsKey(key);
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  static Plugin deployable(Path yaml) throws IOException {
    Plugin plugin = Serialization.unmarshal(Files.readString(yaml), Plugin.class);
    return LocalJar.resolve(plugin, PLUGINS).plugin();
  }

  static BusTopics topics() {
    return BusTopics.forNamespace(cluster.namespace());
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

  static List<String> readyPodIps(String plugin) {
    return pods(plugin).stream()
        .filter(ShopIT::podReady)
        .map(p -> p.getStatus().getPodIP())
        .toList();
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
}
