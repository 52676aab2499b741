package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.crds.Transport;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.testing.MockCluster;
import io.corebus.operator.testing.RunningOperator;
import io.corebus.operator.testing.TestKubelet;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.validation.Problem;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The route table as callers' runtimes read it: the real broker, the operator on the mock API
 * server publishing through {@link RouteTablePublisher} and {@link KafkaRouteLog}, and the routes
 * topic consumed and decoded with bus-protocol's {@link RouteCodec}, as a runtime does.
 */
class PluginRoutesIT {
  static final OperatorSettings SETTINGS =
      OperatorSettings.of("corebus/plugin-runtime:test", "kafka:9092");
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().heap("256m"));

  static MockCluster cluster;
  static KubernetesClient client;
  static TestKubelet kubelet;
  static RunningOperator operator;
  static BusAdmin bus;
  static RouteTablePublisher publisher;
  String ns;
  BusTopics names;

  @BeforeAll
  static void start() {
    cluster = MockCluster.start();
    client = cluster.client();
    kubelet = new TestKubelet(client);
    KafkaAvailability availability =
        new KafkaAvailability(
            new SimpleMeterRegistry(),
            Duration.ofMillis(200),
            Duration.ofSeconds(1),
            Clock.systemUTC());
    KafkaConnection connection = KafkaConnection.plaintext(kafka.bootstrapServers());
    bus = new BusAdmin(() -> connection, availability);
    publisher = new RouteTablePublisher(new KafkaRouteLog(() -> connection, availability));
    operator =
        RunningOperator.start(
            cluster,
            SETTINGS,
            new KafkaPluginTopics(bus, TopicSettings.defaults(), Clock.systemUTC()),
            publisher);
  }

  @AfterAll
  static void stop() {
    operator.close();
    publisher.close();
    bus.close();
    cluster.close();
  }

  @BeforeEach
  void namespace() {
    ns = "routes-" + NAMESPACES.incrementAndGet();
    names = BusTopics.forNamespace(ns);
    cluster.createNamespace(ns);
  }

  // ---- reading the route table as a runtime does ----

  /** One record of the routes topic; a null route is a tombstone. */
  record Entry(String service, ServiceRoute route) {}

  /** Every record of the routes topic, in order (empty while the topic does not exist). */
  List<Entry> records() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("isolation.level", "read_committed");
    List<Entry> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      if (consumer.partitionsFor(names.routes(), Duration.ofSeconds(5)).isEmpty()) {
        return out;
      }
      TopicPartition tp = new TopicPartition(names.routes(), 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(
              new Entry(
                  new String(r.key(), StandardCharsets.UTF_8),
                  RouteCodec.decode(r.key(), r.value()).orElse(null)));
        }
      }
    }
    return out;
  }

  /** The table a runtime builds: the last record of each service, tombstoned ones removed. */
  Map<String, ServiceRoute> table() {
    Map<String, ServiceRoute> t = new LinkedHashMap<>();
    for (Entry e : records()) {
      if (e.route() == null) {
        t.remove(e.service());
      } else {
        t.put(e.service(), e.route());
      }
    }
    return t;
  }

  static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300));
  }

  // ---- helpers ----

  static Plugin plugin(String ns, String name, int replicas, ProvidedService... provides) {
    Plugin p = TestPlugins.withReplicas(TestPlugins.jarPlugin(ns, name), replicas, null, null);
    p.getSpec().setProvides(new ArrayList<>(List.of(provides)));
    return p;
  }

  static ProvidedService service(String name, Transport transport, String... allowedCallers) {
    ProvidedService s = new ProvidedService(name);
    s.setTransport(transport);
    s.setAllowedCallers(new ArrayList<>(List.of(allowedCallers)));
    return s;
  }

  List<Pod> pods(String plugin) {
    return client.pods().inNamespace(ns).withLabel("corebus.io/plugin", plugin).list().getItems();
  }

  Plugin get(String name) {
    return client.resources(Plugin.class).inNamespace(ns).withName(name).get();
  }

  void edit(String name, UnaryOperator<Plugin> change) {
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptionsInstanceOf(KubernetesClientException.class)
        .until(
            () -> {
              client.resources(Plugin.class).inNamespace(ns).withName(name).edit(change);
              return true;
            });
  }

  static String env(Pod pod, String name) {
    return pod.getSpec().getContainers().get(0).getEnv().stream()
        .filter(e -> name.equals(e.getName()))
        .findFirst()
        .orElseThrow()
        .getValue();
  }

  // ---- tests ----

  @Test
  void applyingAPluginPublishesItsRoutesAndAHybridRouteCarriesTheReadyPodsEndpoints() {
    Plugin payment =
        plugin(
            ns,
            "payment",
            2,
            service("shop.payment.Pay", Transport.bus, "checkout", "orders"),
            service("shop.payment.Quote", Transport.hybrid));
    client.resource(payment).create();
    String revision = PluginRevision.of(payment.getSpec(), SETTINGS);

    // No pod is Ready yet: callers already find the services, and their calls wait in the topic.
    eventually()
        .untilAsserted(
            () -> {
              Map<String, ServiceRoute> table = table();
              assertThat(table).containsOnlyKeys("shop.payment.Pay", "shop.payment.Quote");
              ServiceRoute pay = table.get("shop.payment.Pay");
              assertThat(pay.transport()).isEqualTo(ServiceRoute.Transport.BUS);
              assertThat(pay.allowedCallers()).containsExactlyInAnyOrder("checkout", "orders");
              assertThat(pay.permits("stranger")).isFalse();
              assertThat(pay.versions())
                  .extracting(
                      VersionRoute::plugin,
                      VersionRoute::version,
                      VersionRoute::revision,
                      VersionRoute::weight,
                      VersionRoute::topic)
                  .containsExactly(
                      tuple("payment", "1.0.0", revision, 100, names.requests("shop.payment.Pay")));
              ServiceRoute quote = table.get("shop.payment.Quote");
              assertThat(quote.transport()).isEqualTo(ServiceRoute.Transport.HYBRID);
              assertThat(quote.allowedCallers()).as("anyone").isEmpty();
              assertThat(quote.versions())
                  .singleElement()
                  .satisfies(
                      v -> {
                        assertThat(v.weight()).isEqualTo(100);
                        assertThat(v.endpoints()).as("no pod is Ready").isEmpty();
                        assertThat(v.topic())
                            .as("the bus fallback")
                            .isEqualTo(names.requests("shop.payment.Quote"));
                      });
            });
    // The pods consume exactly the topics the routes name.
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("payment").size() == 2);
    RequestTopics podTopics =
        RequestTopics.parse(env(pods("payment").get(0), RuntimeContract.ENV_REQUEST_TOPICS));
    assertThat(podTopics.topicOf("shop.payment.Pay")).contains(names.requests("shop.payment.Pay"));
    assertThat(podTopics.topicOf("shop.payment.Quote"))
        .contains(names.requests("shop.payment.Quote"));

    kubelet.markAllReady(ns);
    List<Endpoint> podEndpoints =
        pods("payment").stream()
            .map(p -> new Endpoint(p.getStatus().getPodIP(), RuntimeContract.GRPC_PORT))
            .toList();
    assertThat(podEndpoints).hasSize(2);
    eventually()
        .untilAsserted(
            () -> {
              Map<String, ServiceRoute> table = table();
              assertThat(table.get("shop.payment.Quote").versions())
                  .singleElement()
                  .satisfies(
                      v ->
                          assertThat(v.endpoints())
                              .containsExactlyInAnyOrderElementsOf(podEndpoints));
              assertThat(table.get("shop.payment.Pay").versions().get(0).endpoints())
                  .as("bus routes carry no endpoints")
                  .isEmpty();
            });

    // A reconcile that changes no route writes nothing (spec.config reaches the pods through
    // their ConfigMap; routes stay as they are).
    int written = records().size();
    edit(
        "payment",
        p -> {
          p.getSpec().setConfig(Map.of("greeting", "hello"));
          return p;
        });
    eventually()
        .untilAsserted(
            () -> {
              Plugin p = get("payment");
              assertThat(p.getStatus().getObservedGeneration())
                  .isEqualTo(p.getMetadata().getGeneration());
            });
    assertThat(records()).hasSize(written);
  }

  @Test
  void aVersionRollShowsBothVersionsWeightedByReadyPodsAndEndsWithTheNewOneOnly() {
    Plugin roller = plugin(ns, "roller", 3, service("shop.roller.Api", Transport.bus));
    client.resource(roller).create();
    String oldRevision = PluginRevision.of(roller.getSpec(), SETTINGS);
    eventually()
        .until(
            () -> {
              kubelet.markAllReady(ns);
              return pods("roller").size() == 3
                  && pods("roller").stream().allMatch(TestKubelet::isReady);
            });
    eventually()
        .untilAsserted(
            () ->
                assertThat(table().get("shop.roller.Api").versions())
                    .extracting(VersionRoute::revision, VersionRoute::weight)
                    .containsExactly(tuple(oldRevision, 100)));

    edit(
        "roller",
        p -> {
          p.getSpec().setVersion("1.1.0");
          return p;
        });
    String newRevision = PluginRevision.of(get("roller").getSpec(), SETTINGS);
    assertThat(newRevision).isNotEqualTo(oldRevision);

    // Each step: a new pod appears, becomes Ready, an old one goes. The route follows the Ready
    // pods: 1 new + 2 old, then 2 new + 1 old, then the new version alone.
    List<List<Object>> expected =
        List.of(
            List.of(tuple(newRevision, "1.1.0", 33), tuple(oldRevision, "1.0.0", 67)),
            List.of(tuple(newRevision, "1.1.0", 67), tuple(oldRevision, "1.0.0", 33)),
            List.of(tuple(newRevision, "1.1.0", 100)));
    for (List<Object> step : expected) {
      // One new pod at a time: mark it Ready, then the route shows the new split.
      eventually()
          .until(
              () ->
                  pods("roller").stream()
                      .anyMatch(
                          p ->
                              !TestKubelet.isReady(p)
                                  && newRevision.equals(
                                      p.getMetadata().getLabels().get("corebus.io/revision"))));
      kubelet.markAllReady(ns);
      eventually()
          .untilAsserted(
              () ->
                  assertThat(table().get("shop.roller.Api").versions())
                      .extracting(
                          VersionRoute::revision, VersionRoute::version, VersionRoute::weight)
                      .containsExactlyElementsOf(
                          step.stream().map(o -> (org.assertj.core.groups.Tuple) o).toList()));
    }
    assertThat(pods("roller"))
        .allSatisfy(
            p ->
                assertThat(p.getMetadata().getLabels())
                    .containsEntry("corebus.io/revision", newRevision));
    // Never a moment without a route, and never weights that do not add up to 100.
    assertThat(records())
        .filteredOn(e -> e.service().equals("shop.roller.Api"))
        .allSatisfy(
            e -> {
              assertThat(e.route()).as("no tombstone during a roll").isNotNull();
              assertThat(e.route().versions().stream().mapToInt(VersionRoute::weight).sum())
                  .isEqualTo(100);
            });
  }

  @Test
  void deletingAPluginTombstonesItsRoutesAndLeavesTheOthers() {
    client
        .resource(
            plugin(
                ns,
                "ledger",
                1,
                service("shop.ledger.Api", Transport.bus),
                service("shop.ledger.Audit", Transport.hybrid)))
        .create();
    client.resource(plugin(ns, "cart", 1, service("shop.cart.Api", Transport.bus))).create();
    eventually()
        .untilAsserted(
            () ->
                assertThat(table())
                    .containsOnlyKeys("shop.ledger.Api", "shop.ledger.Audit", "shop.cart.Api"));
    ServiceRoute cartBefore = table().get("shop.cart.Api");

    client.resources(Plugin.class).inNamespace(ns).withName("ledger").delete();

    eventually()
        .untilAsserted(
            () -> {
              assertThat(get("ledger")).as("finalizer released").isNull();
              assertThat(table()).containsOnlyKeys("shop.cart.Api");
            });
    assertThat(records())
        .filteredOn(e -> e.route() == null)
        .extracting(Entry::service)
        .containsExactlyInAnyOrder("shop.ledger.Api", "shop.ledger.Audit");
    assertThat(table().get("shop.cart.Api")).isEqualTo(cartBefore);
  }

  @Test
  void aPluginTakingOverAServiceRepublishesItsRouteAndTheFirstOnesCleanupLeavesIt() {
    client.resource(plugin(ns, "pay-a", 1, service("shop.pay.Api", Transport.bus))).create();
    eventually()
        .untilAsserted(
            () ->
                assertThat(table().get("shop.pay.Api").versions())
                    .extracting(VersionRoute::plugin)
                    .containsExactly("pay-a"));
    // A second provider of the same service waits (invalid: pay-a is older).
    client
        .resource(plugin(ns, "pay-b", 1, service("shop.pay.Api", Transport.hybrid, "checkout")))
        .create();
    eventually()
        .untilAsserted(
            () -> {
              Plugin b = get("pay-b");
              assertThat(b.getStatus()).isNotNull();
              assertThat(b.getStatus().condition(Condition.READY).getReason())
                  .isEqualTo(Problem.DUPLICATE_SERVICE_PROVIDER);
            });
    assertThat(table().get("shop.pay.Api").versions().get(0).plugin()).isEqualTo("pay-a");
    // pay-a's pod takes its time to terminate, so pay-a's cleanup runs again and again while
    // pay-b has taken the service over.
    await().atMost(Duration.ofSeconds(10)).until(() -> pods("pay-a").size() == 1);
    String podA = pods("pay-a").get(0).getMetadata().getName();
    client
        .pods()
        .inNamespace(ns)
        .withName(podA)
        .edit(
            p -> {
              p.getMetadata().getFinalizers().add("test.corebus.io/hold");
              return p;
            });

    client.resources(Plugin.class).inNamespace(ns).withName("pay-a").delete();

    eventually()
        .untilAsserted(
            () ->
                assertThat(table().get("shop.pay.Api"))
                    .isNotNull()
                    .extracting(r -> r.versions().get(0).plugin())
                    .isEqualTo("pay-b"));
    assertThat(get("pay-a")).as("still cleaning up").isNotNull();
    client
        .pods()
        .inNamespace(ns)
        .withName(podA)
        .edit(
            p -> {
              p.getMetadata().getFinalizers().clear();
              return p;
            });

    eventually()
        .untilAsserted(
            () -> {
              assertThat(get("pay-a")).as("finalizer released").isNull();
              ServiceRoute route = table().get("shop.pay.Api");
              assertThat(route).as("the service keeps a route").isNotNull();
              assertThat(route.transport()).isEqualTo(ServiceRoute.Transport.HYBRID);
              assertThat(route.allowedCallers()).containsExactly("checkout");
              assertThat(route.versions())
                  .extracting(VersionRoute::plugin, VersionRoute::weight, VersionRoute::topic)
                  .containsExactly(tuple("pay-b", 100, names.requests("shop.pay.Api")));
            });
    // Whatever the order of pay-a's cleanup and pay-b's first publish, nothing removed pay-b's
    // route: no tombstone follows its first record.
    List<Entry> records = records();
    int firstOfB = -1;
    for (int i = 0; i < records.size(); i++) {
      Entry e = records.get(i);
      if (e.route() != null && e.route().versions().get(0).plugin().equals("pay-b")) {
        firstOfB = i;
        break;
      }
    }
    assertThat(firstOfB).isNotNegative();
    assertThat(records.subList(firstOfB, records.size()))
        .allSatisfy(e -> assertThat(e.route()).isNotNull());
  }
}
