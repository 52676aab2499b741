package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.Rollout;
import io.corebus.crds.RolloutStrategy;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.plugin.PluginEvents;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestPlugins;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's side of the bus against the real Kafka broker, with the operator on the mock API
 * server: what a user sees in Kafka and in the Plugin after kubectl apply, edit and delete, and
 * while Kafka is down.
 */
class PluginTopicsIT {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(8);
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().heap("256m"));

  /** The route seam as the reconciler drives it. */
  static final class RecordingRoutes implements PluginRoutes {
    final List<List<ServiceRoute>> published = new CopyOnWriteArrayList<>();
    final List<String> requestTopicMissingAtPublish = new CopyOnWriteArrayList<>();
    final List<String> withdrawn = new CopyOnWriteArrayList<>();

    @Override
    public void publish(Plugin plugin, List<ServiceRoute> routes) {
      for (ServiceRoute r : routes) {
        for (VersionRoute v : r.versions()) {
          // Created means acknowledged by the controller; a broker's metadata may lag a moment.
          try {
            await().atMost(Duration.ofSeconds(5)).until(() -> topics().contains(v.topic()));
          } catch (org.awaitility.core.ConditionTimeoutException e) {
            requestTopicMissingAtPublish.add(v.topic());
          }
        }
      }
      published.add(routes);
    }

    @Override
    public void withdraw(Plugin plugin, List<String> services) {
      withdrawn.addAll(services);
    }
  }

  static MockCluster cluster;
  static KubernetesClient client;
  static RunningOperator operator;
  static Admin admin;
  static BusAdmin bus;
  static RecordingRoutes routes;
  String ns;
  BusTopics names;

  @BeforeAll
  static void start() {
    admin = Admin.create(kafka.broker().clientProperties());
    cluster = MockCluster.start();
    client = cluster.client();
    routes = new RecordingRoutes();
    KafkaAvailability availability =
        new KafkaAvailability(
            new SimpleMeterRegistry(),
            Duration.ofMillis(200),
            Duration.ofSeconds(1),
            Clock.systemUTC());
    KafkaConnection connection = KafkaConnection.plaintext(kafka.bootstrapServers());
    bus = new BusAdmin(() -> connection, availability);
    PluginTopics topics =
        new KafkaPluginTopics(
            bus, TopicSettings.defaults().withDrainTimeout(DRAIN_TIMEOUT), Clock.systemUTC());
    operator = RunningOperator.start(cluster, SETTINGS, topics, routes);
  }

  @AfterAll
  static void stop() {
    operator.close();
    bus.close();
    cluster.close();
    admin.close();
  }

  @BeforeEach
  void namespace() {
    ns = "topics-" + NAMESPACES.incrementAndGet();
    names = BusTopics.forNamespace(ns);
    cluster.createNamespace(ns);
  }

  // ---- helpers ----

  static Set<String> topics() {
    try {
      return admin.listTopics().names().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static TopicDescription describe(String topic) throws Exception {
    return admin
        .describeTopics(List.of(topic))
        .allTopicNames()
        .get(10, TimeUnit.SECONDS)
        .get(topic);
  }

  static String config(String topic, String name) throws Exception {
    ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config c = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
    return c.get(name).value();
  }

  static Plugin plugin(String ns, String name, int min, Integer max) {
    return TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, name), min, max, null);
  }

  Plugin get(String name) {
    return client.resources(Plugin.class).inNamespace(ns).withName(name).get();
  }

  static Condition degraded(KubernetesClient client, String ns, String name) {
    Plugin p = client.resources(Plugin.class).inNamespace(ns).withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().condition(Condition.DEGRADED);
  }

  static List<Event> events(KubernetesClient client, String ns, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  List<Pod> pods(String plugin) {
    return client.pods().inNamespace(ns).withLabel("corebus.io/plugin", plugin).list().getItems();
  }

  // ---- tests ----

  /**
   * The broker's listing, which the operator also reads, shows a topic made by hand a moment after
   * the controller has it.
   */
  void awaitListed(String... wanted) {
    await().atMost(Duration.ofSeconds(10)).until(() -> topics().containsAll(List.of(wanted)));
  }

  @Test
  void applyingAPluginCreatesItsTopicsWithTheRightPartitionsAndConfigs() throws Exception {
    Plugin payment = plugin(ns, "payment", 1, 4);
    payment.getSpec().setPublishes(List.of("shop.payment.Paid"));
    payment.getSpec().setSubscribes(List.of("shop.order.Placed"));
    client.resource(payment).create();

    String requests = names.requests("shop.payment.Api");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(topics())
                    .contains(
                        requests,
                        names.deadLetters("payment"),
                        names.events("shop.payment.Paid"),
                        names.events("shop.order.Placed"),
                        names.telemetry(),
                        names.routes()));

    assertThat(describe(requests).partitions()).as("replicas.max 4").hasSize(4);
    assertThat(describe(names.events("shop.order.Placed")).partitions())
        .as("payment subscribes with replicas.max 4")
        .hasSize(4);
    assertThat(describe(names.events("shop.payment.Paid")).partitions())
        .as("nobody subscribes yet: the minimum")
        .hasSize(3);
    assertThat(describe(names.deadLetters("payment")).partitions()).hasSize(1);
    assertThat(describe(names.routes()).partitions()).hasSize(1);
    assertThat(config(names.routes(), "cleanup.policy")).isEqualTo("compact");
    assertThat(config(requests, "cleanup.policy")).isEqualTo("delete");
    assertThat(config(names.telemetry(), "retention.ms")).isEqualTo("3600000");
    // One broker: replication factor min(3, 1) and min.insync.replicas 1.
    assertThat(describe(requests).partitions().get(0).replicas()).hasSize(1);
    assertThat(config(requests, "min.insync.replicas")).isEqualTo("1");

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(degraded(client, ns, "payment")).isNotNull();
              assertThat(degraded(client, ns, "payment").getStatus()).isEqualTo(Condition.FALSE);
              assertThat(events(client, ns, PluginEvents.TOPICS_CREATED))
                  .singleElement()
                  .satisfies(
                      e -> assertThat(e.getMessage()).contains(requests + " (4 partitions)"));
            });
    // The route seam got the service's route, and only after its request topic existed.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(routes.published)
                    .anySatisfy(
                        rs ->
                            assertThat(rs)
                                .singleElement()
                                .satisfies(
                                    r -> {
                                      assertThat(r.service()).isEqualTo("shop.payment.Api");
                                      assertThat(r.versions().get(0).topic()).isEqualTo(requests);
                                      assertThat(r.versions().get(0).plugin()).isEqualTo("payment");
                                    })));
    assertThat(routes.requestTopicMissingAtPublish).isEmpty();
  }

  @Test
  void raisingReplicasMaxRaisesTheRequestTopicsPartitionsAndNeverLowersThem() throws Exception {
    client.resource(plugin(ns, "search", 1, 3)).create();
    String requests = names.requests("shop.search.Api");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(describe(requests).partitions()).hasSize(3));

    edit("search", 1, 6);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertThat(describe(requests).partitions()).hasSize(6));
    // The event is recorded after the partitions were raised: wait for it too.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(events(client, ns, PluginEvents.PARTITIONS_RAISED))
                    .singleElement()
                    .satisfies(
                        e -> assertThat(e.getMessage()).contains(requests + " from 3 to 6")));

    // Lowering replicas.max keeps the partitions (Kafka cannot remove any, and keys keep their
    // partition); the Plugin is fine with it.
    edit("search", 1, 2);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              Plugin p = get("search");
              assertThat(p.getStatus()).isNotNull();
              assertThat(p.getStatus().getObservedGeneration())
                  .isEqualTo(p.getMetadata().getGeneration());
              assertThat(degraded(client, ns, "search").getReason()).isEqualTo("AsExpected");
            });
    assertThat(describe(requests).partitions()).hasSize(6);
  }

  /** Edits replicas as kubectl would, retrying when the operator's status write came first. */
  void edit(String name, int min, int max) {
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptionsInstanceOf(KubernetesClientException.class)
        .until(
            () -> {
              client
                  .resources(Plugin.class)
                  .inNamespace(ns)
                  .withName(name)
                  .edit(p -> TestPlugins.withReplicas(p, min, max, null));
              return true;
            });
  }

  @Test
  void deletingAPluginDeletesItsOwnTopicsAndKeepsAnEventTopicAnotherPluginSubscribesTo() {
    Plugin orders = plugin(ns, "orders", 1, null);
    orders.getSpec().setPublishes(List.of("shop.order.Placed", "shop.order.Audited"));
    client.resource(orders).create();
    Plugin billing = plugin(ns, "billing", 1, null);
    billing.getSpec().setSubscribes(List.of("shop.order.Placed"));
    client.resource(billing).create();

    String ordersRequests = names.requests("shop.orders.Api");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(topics())
                    .contains(
                        ordersRequests,
                        names.deadLetters("orders"),
                        names.events("shop.order.Placed"),
                        names.events("shop.order.Audited"),
                        names.requests("shop.billing.Api")));
    // The runtime of orders' pod made itself a reply slot.
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("orders").size() == 1);
    String slot = names.replies("orders", pods("orders").get(0).getMetadata().getName());
    kafka.broker().createTopic(slot, 1);
    awaitListed(slot);

    client.resources(Plugin.class).inNamespace(ns).withName("orders").delete();

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(get("orders")).as("finalizer released").isNull();
              assertThat(topics())
                  .doesNotContain(
                      ordersRequests,
                      names.deadLetters("orders"),
                      names.events("shop.order.Audited"),
                      slot);
            });
    assertThat(topics())
        .as("still used by billing")
        .contains(
            names.events("shop.order.Placed"),
            names.requests("shop.billing.Api"),
            names.telemetry(),
            names.routes());
    assertThat(routes.withdrawn).contains("shop.orders.Api");
    assertThat(events(client, ns, PluginEvents.TOPICS_DELETED))
        .singleElement()
        .satisfies(e -> assertThat(e.getMessage()).contains(ordersRequests).contains(slot));
  }

  @Test
  void theNamespacesTopicsDeletedWithItsLastPluginComeBackWithAPluginCheckedJustBefore()
      throws Exception {
    // The operator's view may lag: a Plugin created while the last one goes is checked (its
    // topics found in place) just before the namespace's routes, telemetry and control go.
    KafkaPluginTopics topics =
        new KafkaPluginTopics(bus, TopicSettings.defaults(), Clock.systemUTC());
    Plugin last = plugin(ns, "last", 1, 1);
    Plugin late = plugin(ns, "late", 1, 1);
    Rollout hotSwap = new Rollout();
    hotSwap.setStrategy(RolloutStrategy.HotSwap);
    late.getSpec().setRollout(hotSwap);
    assertThat(topics.ensure(last, List.of(last), Set.of()))
        .isInstanceOfSatisfying(
            PluginTopics.Checked.class, c -> assertThat(c.problems()).isEmpty());
    assertThat(topics.ensure(late, List.of(late), Set.of()))
        .isInstanceOfSatisfying(
            PluginTopics.Checked.class, c -> assertThat(c.problems()).isEmpty());

    assertThat(topics.release(last, List.of()))
        .isInstanceOfSatisfying(
            PluginTopics.Released.class,
            r -> assertThat(r.deleted()).contains(names.routes(), names.control()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !topics().contains(names.routes()) && !topics().contains(names.control()));

    // Its next reconcile, well within the recheck interval, looks at Kafka again.
    topics.ensure(late, List.of(late), Set.of());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                topics().containsAll(List.of(names.routes(), names.telemetry(), names.control())));
    // A broker may list deleted topics for a moment after a release: checks made so soon after
    // are not trusted, and the next reconcile asks Kafka again instead of the cache.
    assertThat(topics.ensure(late, List.of(late), Set.of()))
        .isNotSameAs(PluginTopics.Checked.NOTHING);
  }

  @Test
  void unprocessedRequestsKeepTheRequestTopicUntilTheDrainTimeoutThenItGoesWithAWarning()
      throws Exception {
    client.resource(plugin(ns, "ledger", 1, null)).create();
    String requests = names.requests("shop.ledger.Api");
    await().atMost(Duration.ofSeconds(20)).until(() -> topics().contains(requests));
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>(requests, "k1", "never answered")).get();
      producer.send(new ProducerRecord<>(requests, "k2", "never answered")).get();
    }

    client.resources(Plugin.class).inNamespace(ns).withName("ledger").delete();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(events(client, ns, PluginEvents.WAITING_FOR_DRAIN))
                    .singleElement()
                    .satisfies(
                        e ->
                            assertThat(e.getMessage())
                                .contains("2 request(s)")
                                .contains(names.requestGroup("ledger"))));
    assertThat(topics()).as("kept while draining").contains(requests);
    assertThat(get("ledger")).as("still finalizing").isNotNull();

    await()
        .atMost(DRAIN_TIMEOUT.plusSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(get("ledger")).isNull();
              assertThat(topics()).doesNotContain(requests);
            });
    assertThat(events(client, ns, PluginEvents.TOPICS_DELETED_UNDRAINED))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getMessage()).contains(requests).contains("2 request(s) never"));
  }

  @Test
  void aConflictingTopicIsReportedAndLeftAlone() throws Exception {
    // Someone made the routes topic by hand, not compacted: routes would expire.
    kafka.broker().createTopic(names.routes(), 1, Map.of("cleanup.policy", "delete"));
    awaitListed(names.routes());

    client.resource(plugin(ns, "audit", 1, null)).create();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Condition d = degraded(client, ns, "audit");
              assertThat(d).isNotNull();
              assertThat(d.getStatus()).isEqualTo(Condition.TRUE);
              assertThat(d.getReason()).isEqualTo("TopicConflict");
              assertThat(d.getMessage())
                  .contains(names.routes())
                  .contains("cleanup.policy=delete")
                  .contains("needs compact");
            });
    assertThat(config(names.routes(), "cleanup.policy")).as("not touched").isEqualTo("delete");
    assertThat(topics()).contains(names.requests("shop.audit.Api"), names.deadLetters("audit"));
    assertThat(events(client, ns, PluginEvents.TOPIC_PROBLEM)).hasSize(1);
  }

  @Test
  void theReplySlotOfAPodTheOperatorRemovedIsDeletedOnceThePodIsGone() {
    Plugin cart = plugin(ns, "cart", 2, null);
    client.resource(cart).create();
    String revision = PluginRevision.of(cart.getSpec(), SETTINGS);
    await().atMost(Duration.ofSeconds(20)).until(() -> pods("cart").size() == 2);
    String slot0 = names.replies("cart", "cart-" + revision + "-0");
    String slot1 = names.replies("cart", "cart-" + revision + "-1");
    kafka.broker().createTopic(slot0, 1);
    kafka.broker().createTopic(slot1, 1);
    awaitListed(slot0, slot1);

    edit("cart", 1, 1);

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(pods("cart")).hasSize(1);
              assertThat(topics()).doesNotContain(slot1).contains(slot0);
            });
  }

  @Test
  void whileKafkaIsDownPodsAreManagedAndThePluginIsDegradedUntilKafkaAnswers() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    KafkaConnection down =
        KafkaConnection.plaintext("127.0.0.1:" + closedPort)
            .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));
    AtomicReference<KafkaConnection> connection = new AtomicReference<>(down);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    KafkaAvailability availability =
        new KafkaAvailability(
            metrics, Duration.ofMillis(200), Duration.ofSeconds(1), Clock.systemUTC());
    String outage = "outage";
    RecordingRoutes outageRoutes = new RecordingRoutes();
    BusTopics outageNames = BusTopics.forNamespace(outage);

    try (MockCluster other = MockCluster.start();
        BusAdmin outageBus = new BusAdmin(connection::get, availability)) {
      KubernetesClient otherClient = other.client();
      other.createNamespace(outage);
      RunningOperator second =
          RunningOperator.start(
              other,
              SETTINGS,
              new KafkaPluginTopics(outageBus, TopicSettings.defaults(), Clock.systemUTC()),
              outageRoutes);
      try {
        otherClient.resource(plugin(outage, "stock", 2, null)).create();

        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  assertThat(otherClient.pods().inNamespace(outage).list().getItems())
                      .as("pods do not wait for Kafka")
                      .hasSize(2);
                  Condition d = degraded(otherClient, outage, "stock");
                  assertThat(d).isNotNull();
                  assertThat(d.getStatus()).isEqualTo(Condition.TRUE);
                  assertThat(d.getReason()).isEqualTo("KafkaUnavailable");
                  assertThat(d.getMessage())
                      .contains("cannot reach Kafka at 127.0.0.1:" + closedPort);
                });
        assertThat(metrics.get(KafkaAvailability.UP_METRIC).gauge().value()).isZero();
        assertThat(metrics.get(KafkaAvailability.ERRORS_METRIC).counters())
            .anySatisfy(c -> assertThat(c.count()).isPositive());
        assertThat(events(otherClient, outage, PluginEvents.KAFKA_UNAVAILABLE)).hasSize(1);
        assertThat(topics()).doesNotContain(outageNames.requests("shop.stock.Api"));
        assertThat(outageRoutes.published).as("no route without its topic").isEmpty();

        // Kafka answers (here: the operator is pointed at the running broker).
        connection.set(KafkaConnection.plaintext(kafka.bootstrapServers()));

        await()
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  assertThat(topics())
                      .contains(
                          outageNames.requests("shop.stock.Api"),
                          outageNames.deadLetters("stock"),
                          outageNames.routes());
                  Condition d = degraded(otherClient, outage, "stock");
                  assertThat(d).isNotNull();
                  assertThat(d.getStatus()).isEqualTo(Condition.FALSE);
                  assertThat(d.getReason()).isEqualTo("AsExpected");
                });
        assertThat(metrics.get(KafkaAvailability.UP_METRIC).gauge().value()).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !outageRoutes.published.isEmpty());
        assertThat(outageRoutes.requestTopicMissingAtPublish).isEmpty();
        assertThat(events(otherClient, outage, PluginEvents.KAFKA_AVAILABLE)).hasSize(1);
        assertThat(otherClient.pods().inNamespace(outage).list().getItems())
            .as("the same pods: an outage never restarts anything")
            .hasSize(2);
      } finally {
        second.close();
      }
    }
  }
}
