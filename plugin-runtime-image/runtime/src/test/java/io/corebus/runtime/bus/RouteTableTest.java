package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The route-table follower against Kafka's MockConsumer: catching up, updates, bad records. */
class RouteTableTest {
  static final String TOPIC = "corebus.t.routes";
  static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  final RouteTable table = new RouteTable(TOPIC, consumer, new BusMetrics(meters));
  long offset;

  @AfterEach
  void close() {
    table.close();
  }

  static ServiceRoute route(String service, int v1, Endpoint... endpoints) {
    return new ServiceRoute(
        service,
        ServiceRoute.Transport.HYBRID,
        List.of(),
        List.of(
            VersionRoute.bus("p", "1", "r1", v1, "t.v1").withEndpoints(List.of(endpoints)),
            VersionRoute.bus("p", "2", "r2", 100 - v1, "t.v2")));
  }

  void add(String service, byte[] value) {
    consumer.addRecord(
        new ConsumerRecord<>(TOPIC, 0, offset++, service.getBytes(StandardCharsets.UTF_8), value));
  }

  void add(ServiceRoute r) {
    add(r.service(), RouteCodec.value(r));
  }

  void topicAppearsWithEndOffset(long end) {
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    consumer.updateEndOffsets(Map.of(TP, end));
    consumer.updatePartitions(
        TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
  }

  double malformed() {
    var c = meters.find("corebus.routes.malformed").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void notReadyWhileTheTopicIsMissingThenCaughtUpOnlyAfterReadingToTheEndSeenAtStart() {
    table.start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> table.notReadyReason().contains("does not exist"));
    assertThat(table.caughtUp()).isFalse();

    topicAppearsWithEndOffset(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> !consumer.assignment().isEmpty());
    assertThat(table.caughtUp()).as("nothing read yet").isFalse();
    add(route("shop.A", 100));
    add("shop.B", "{broken".getBytes(StandardCharsets.UTF_8));
    add(route("shop.C", 50));

    await().atMost(Duration.ofSeconds(5)).until(table::caughtUp);
    assertThat(table.notReadyReason()).isNull();
    assertThat(table.route("shop.A")).contains(route("shop.A", 100));
    assertThat(table.route("shop.B")).as("the malformed record was skipped").isEmpty();
    assertThat(table.route("shop.C")).contains(route("shop.C", 50));
    assertThat(malformed()).isEqualTo(1.0);
    assertThat(table.lastMalformed()).contains("shop.B").contains("is not JSON");
  }

  @Test
  void laterRecordsReplaceAndRemoveRoutesAndABadOneKeepsThePreviousRoute() {
    AtomicReference<Set<Endpoint>> endpoints = new AtomicReference<>();
    table.onEndpointsChanged(endpoints::set);
    topicAppearsWithEndOffset(0);
    table.start();
    await().atMost(Duration.ofSeconds(5)).until(table::caughtUp);

    Endpoint e1 = new Endpoint("10.0.0.1", 9090);
    add(route("shop.A", 100, e1));
    add(route("shop.B", 100));
    await().atMost(Duration.ofSeconds(5)).until(() -> table.size() == 2);
    assertThat(endpoints.get()).containsExactly(e1);

    add(route("shop.A", 0));
    add("shop.B", "{\"service\":\"shop.B\",\"versions\":[]".getBytes(StandardCharsets.UTF_8));
    add(
        "shop.B",
        ("{\"service\":\"shop.B\",\"versions\":[{\"plugin\":\"p\",\"version\":\"1\","
                + "\"weight\":50,\"topic\":\"t\"}]}")
            .getBytes(StandardCharsets.UTF_8));
    add("shop.C", null); // a tombstone for a service never seen: nothing happens
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> table.route("shop.A").get().versions().get(0).weight() == 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> malformed() == 2.0);
    assertThat(table.route("shop.B")).contains(route("shop.B", 100));
    assertThat(table.lastMalformed()).contains("add up to 50");
    assertThat(endpoints.get()).isEmpty();

    add("shop.A", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> table.route("shop.A").isEmpty());
    assertThat(table.size()).isEqualTo(1);
  }

  @Test
  void picksFollowTheWeightsAndEndpointsRotate() {
    Endpoint e1 = new Endpoint("10.0.0.1", 9090);
    Endpoint e2 = new Endpoint("10.0.0.2", 9090);
    ResolvedRoute r = new ResolvedRoute(route("shop.A", 75, e1, e2));
    int[] picks = new int[2];
    for (int i = 0; i < 100; i++) {
      picks[r.pickVersion()]++;
    }
    assertThat(picks).containsExactly(75, 25);
    assertThat(List.of(r.nextEndpoint(0), r.nextEndpoint(0), r.nextEndpoint(0)))
        .containsExactly(e1, e2, e1);
    assertThat(r.nextEndpoint(1)).isNull();
  }
}
