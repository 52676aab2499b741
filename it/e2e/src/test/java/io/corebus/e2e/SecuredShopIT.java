package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.LocalCluster;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  static final LocalCluster.Options OPTIONS = ShopCluster.options("shop-secured").securedBus();

  static {
    // Pod IPs of its own: the run's shared cluster (ShopIT's) may still be up on 127.0.1.x.
    OPTIONS.kubelet().firstAddressBlock(200);
  }

  @RegisterExtension
  static final LocalClusterExtension cluster = LocalClusterExtension.perClass(OPTIONS);

  static final ShopCluster shop = new ShopCluster(cluster);

  @AfterAll
  static void closeOrderChannel() {
    shop.close();
  }

  @Test
  @Order(1)
  void theShopBecomesReadyWithEachPluginsCredentialsMounted() throws IOException {
    assertThat(cluster.cluster().kafka().isSecured()).as("the broker requires SCRAM").isTrue();
    shop.applyShop(plugin -> {});
    shop.awaitReady(ShopCluster.SHOP, Duration.ofSeconds(120));

    for (String name : ShopCluster.SHOP) {
      Secret secret = secret(name);
      assertThat(secret).as("Secret " + name + "-kafka").isNotNull();
      assertThat(decoded(secret, RuntimeContract.KAFKA_USERNAME_FILE))
          .isEqualTo(BusPermissions.userName(shop.topics(), name));
      assertThat(shop.pods(name))
          .as(name + " pods")
          .isNotEmpty()
          .allSatisfy(pod -> assertMountsCredentials(pod, name + "-kafka"));
    }
  }

  @Test
  @Order(2)
  void ordersGoThroughPaymentAndInventoryOverTheSecuredBus() throws Exception {
    PlaceOrderReply reply = shop.order().placeOrder(ShopCluster.apples("alice", 2));
    assertThat(reply.getOrderId()).isNotBlank();
    assertThat(reply.getTotalCents()).isEqualTo(300);
    assertThat(reply.getPaymentId()).as("charged by payment").isNotBlank();

    try (OrderLoad load = OrderLoad.start(shop::order, "carol", 4)) {
      load.awaitPlaced(50, Duration.ofSeconds(30));
      load.close();
      System.out.println("orders on the secured bus: " + load);
      assertThat(load.failures()).as("orders that failed on the secured bus").isEmpty();
    }
  }

  @Test
  @Order(3)
  void orderPlacedReachesNotification() {
    // alice's order and carol's fifty, at least
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(shop.notificationsSent()).isGreaterThanOrEqualTo(51));
  }

  @Test
  @Order(4)
  void notificationsCredentialsCannotReadPaymentsRequests() {
    TopicPartition paymentRequests =
        new TopicPartition(shop.topics().requests("shop.payment.PaymentService"), 0);

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
    return shop.client().secrets().inNamespace(shop.namespace()).withName(plugin + "-kafka").get();
  }

  static String decoded(Secret secret, String key) {
    assertThat(secret.getData()).as(secret.getMetadata().getName()).containsKey(key);
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}
