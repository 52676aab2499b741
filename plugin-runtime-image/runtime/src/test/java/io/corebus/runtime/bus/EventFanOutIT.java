package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.plugin.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events fan out against the real broker: plug-in "audit" (one replica) and plug-in "shipping" (two
 * replicas, one consumer group) subscribe to the same event type, each replica an {@link EventBus}
 * behind its {@link CommittingConsumer}, as in a runtime. Every subscribing plug-in gets each event
 * exactly once, and a plug-in's replicas share its events.
 */
class EventFanOutIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final BusTopics topics = BusTopics.forNamespace("fanout");
  static final String TYPE = "shop.order.OrderPlaced";
  static final int PARTITIONS = 4;
  static final int EVENTS = 200;

  static final List<AutoCloseable> closing = new ArrayList<>();
  static ExecutorService workers;
  static ScheduledExecutorService scheduler;
  static Admin admin;
  static KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  static void start() {
    kafka.broker().createTopic(topics.events(TYPE), PARTITIONS);
    workers = Executors.newFixedThreadPool(8);
    scheduler = Executors.newScheduledThreadPool(2);
    admin = Admin.create(KafkaSettings.admin(kafka.bootstrapServers(), "fanout-admin"));
    producer = new KafkaProducer<>(KafkaSettings.producer(kafka.bootstrapServers(), "fanout", 0));
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    producer.close();
    admin.close();
    workers.shutdownNow();
    scheduler.shutdownNow();
  }

  /** One replica of a subscribing plug-in; what it handles lands in {@code received}. */
  static CommittingConsumer replica(String plugin, int ordinal, List<String> received) {
    RuntimeIdentity id = new RuntimeIdentity("fanout", plugin, plugin + "-" + ordinal, "1.0.0");
    EventBus bus =
        new EventBus(
            topics,
            producer,
            id,
            Duration.ofSeconds(10),
            3,
            workers,
            scheduler,
            EventFanOutIT.class.getClassLoader(),
            new BusMetrics(new SimpleMeterRegistry()));
    bus.subscribe(TYPE, (Event e) -> received.add(new String(e.payload(), StandardCharsets.UTF_8)));
    CommittingConsumer consumer =
        new CommittingConsumer(
            id.instance() + "-events",
            KafkaSettings.groupConsumer(
                kafka.bootstrapServers(),
                topics.eventGroup(plugin),
                id.instance(),
                16,
                Duration.ofSeconds(6)),
            bus.subscribedTopics(),
            bus::handle,
            16,
            Duration.ofSeconds(5));
    consumer.start();
    closing.add(consumer);
    return consumer;
  }

  /** The group's members, each with at least one partition, in a stable group. */
  static boolean everyMemberHasPartitions(String group, int members) throws Exception {
    ConsumerGroupDescription d =
        admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
    return d.groupState() == GroupState.STABLE
        && d.members().size() == members
        && d.members().stream()
            .map(MemberDescription::assignment)
            .allMatch(a -> !a.topicPartitions().isEmpty());
  }

  /** Whether the group committed every event of the topic (so nothing is redelivered later). */
  static boolean committedEverything(String group) throws Exception {
    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      q.put(new TopicPartition(topics.events(TYPE), p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends =
        admin.listOffsets(q).all().get(10, TimeUnit.SECONDS).entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    return ends.entrySet().stream()
        .allMatch(
            e ->
                e.getValue() == 0
                    || (committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() == e.getValue()));
  }

  static Map<String, Long> counts(List<String> received) {
    return received.stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  @Test
  void everySubscribingPluginGetsEachEventOnceAndReplicasShareThem() throws Exception {
    List<String> audit = new CopyOnWriteArrayList<>();
    List<String> shipping0 = new CopyOnWriteArrayList<>();
    List<String> shipping1 = new CopyOnWriteArrayList<>();
    replica("audit", 0, audit);
    replica("shipping", 0, shipping0);
    replica("shipping", 1, shipping1);
    await("both shipping replicas own partitions")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                everyMemberHasPartitions(topics.eventGroup("audit"), 1)
                    && everyMemberHasPartitions(topics.eventGroup("shipping"), 2));

    EventBus publisher =
        new EventBus(
            topics,
            producer,
            new RuntimeIdentity("fanout", "orders", "orders-0", "1.0.0"),
            Duration.ofSeconds(10),
            3,
            workers,
            scheduler,
            getClass().getClassLoader(),
            new BusMetrics(new SimpleMeterRegistry()));
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      String payload = "order-" + i;
      publisher.publish(TYPE, payload.getBytes(StandardCharsets.UTF_8));
      sent.add(payload);
    }

    // Once both groups committed every event, nothing more can arrive (no rebalance is going on).
    await("both plug-ins handled and committed every event")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                committedEverything(topics.eventGroup("audit"))
                    && committedEverything(topics.eventGroup("shipping")));

    assertThat(audit)
        .as("audit: every event, once")
        .hasSize(EVENTS)
        .containsExactlyInAnyOrderElementsOf(sent);
    List<String> shipping = new ArrayList<>(shipping0);
    shipping.addAll(shipping1);
    assertThat(counts(shipping))
        .as("shipping: every event once across its replicas")
        .hasSize(EVENTS)
        .allSatisfy((payload, n) -> assertThat(n).as(payload).isEqualTo(1L));
    assertThat(shipping).containsExactlyInAnyOrderElementsOf(sent);
    assertThat(shipping0).as("replica 0 took a share").isNotEmpty();
    assertThat(shipping1).as("replica 1 took a share").isNotEmpty();
  }
}
