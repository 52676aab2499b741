package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.localcluster.KafkaBrokerExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The follower of the operator's compacted topics against the real broker: what it read before it
 * says it caught up, what comes later, tombstones, and that closing it stops its thread.
 */
class CompactedTopicFollowerIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static KafkaProducer<byte[], byte[]> producer;
  static int topics;

  final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startProducer() {
    producer =
        new KafkaProducer<>(KafkaSettings.producer(kafka.bootstrapServers(), "follower-it", 0));
  }

  @AfterAll
  static void closeProducer() {
    producer.close(Duration.ofSeconds(5));
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** A table kept by {@link CompactedTopicFollower.Updates}, and the calls it got, in order. */
  static final class Table implements CompactedTopicFollower.Updates {
    final Map<String, String> values = new ConcurrentHashMap<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final AtomicReference<Thread> thread = new AtomicReference<>();

    @Override
    public void put(ConsumerRecord<byte[], byte[]> record) {
      String key = utf8(record.key());
      if (key.equals("poison")) {
        throw new IllegalStateException("the owner fails on this record");
      }
      values.put(key, utf8(record.value()));
      calls.add("put " + key + "=" + utf8(record.value()));
    }

    @Override
    public void remove(ConsumerRecord<byte[], byte[]> tombstone) {
      values.remove(utf8(tombstone.key()));
      calls.add("remove " + utf8(tombstone.key()));
    }

    @Override
    public void polled() {
      thread.set(Thread.currentThread());
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String newTopic(int partitions) {
    String topic = "corebus.follower-it." + (++topics);
    kafka.broker().createTopic(topic, partitions, Map.of("cleanup.policy", "compact"));
    return topic;
  }

  static void send(String topic, String key, String value) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topic,
                key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8)))
        .get(10, TimeUnit.SECONDS);
  }

  CompactedTopicFollower follower(String topic, Table table) {
    CompactedTopicFollower f =
        new CompactedTopicFollower(
            topic,
            "test table",
            "corebus-test-follower",
            new KafkaConsumer<>(
                KafkaSettings.routeConsumer(kafka.bootstrapServers(), "follower-it-" + topic)),
            table);
    closing.add(f);
    return f;
  }

  @Test
  void caughtUpIsSignalledOnlyOnceTheRecordsWrittenBeforeStartWereRead() throws Exception {
    String topic = newTopic(3);
    for (int i = 0; i < 20; i++) {
      send(topic, "k" + i, "v" + i);
    }
    send(topic, "k3", "v3-again");
    send(topic, "k4", null);

    Table table = new Table();
    CompactedTopicFollower follower = follower(topic, table);
    AtomicReference<Map<String, String>> atCatchUp = new AtomicReference<>();
    follower.whenCaughtUp().thenRun(() -> atCatchUp.set(Map.copyOf(table.values)));
    assertThat(follower.caughtUp()).isFalse();
    assertThat(follower.notCaughtUpReason()).isEqualTo("not started");
    follower.start();

    await().atMost(Duration.ofSeconds(30)).until(follower::caughtUp);
    assertThat(follower.notCaughtUpReason()).isNull();
    await().atMost(Duration.ofSeconds(5)).until(() -> atCatchUp.get() != null);
    assertThat(atCatchUp.get())
        .as("everything written before start was read when catch-up was signalled")
        .hasSize(19)
        .containsEntry("k0", "v0")
        .containsEntry("k3", "v3-again")
        .containsEntry("k19", "v19")
        .doesNotContainKey("k4");
    assertThat(table.calls).contains("remove k4");
    assertThat(table.calls.indexOf("put k3=v3-again"))
        .isGreaterThan(table.calls.indexOf("put k3=v3"));
  }

  @Test
  void laterRecordsAndTombstonesAreDeliveredAndAFailingRecordLosesNoOther() throws Exception {
    String topic = newTopic(1);
    Table table = new Table();
    CompactedTopicFollower follower = follower(topic, table);
    follower.start();
    await().atMost(Duration.ofSeconds(30)).until(follower::caughtUp);
    assertThat(table.values).isEmpty();

    send(topic, "a", "1");
    await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(table.values.get("a")));
    send(topic, "a", "2");
    send(topic, "poison", "x");
    send(topic, "b", "3");
    await().atMost(Duration.ofSeconds(10)).until(() -> "3".equals(table.values.get("b")));
    assertThat(table.values).containsEntry("a", "2").doesNotContainKey("poison");

    send(topic, "a", null);
    await().atMost(Duration.ofSeconds(10)).until(() -> !table.values.containsKey("a"));
    assertThat(table.calls).containsExactly("put a=1", "put a=2", "put b=3", "remove a");
  }

  @Test
  void aTopicCreatedAfterStartIsWaitedForThenRead() throws Exception {
    String topic = "corebus.follower-it.later-" + (++topics);
    Table table = new Table();
    CompactedTopicFollower follower = follower(topic, table);
    follower.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> String.valueOf(follower.notCaughtUpReason()).contains("does not exist"));
    assertThat(follower.caughtUp()).isFalse();

    kafka.broker().createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
    send(topic, "a", "1");
    await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(table.values.get("a")));
    await().atMost(Duration.ofSeconds(10)).until(follower::caughtUp);
  }

  @Test
  void closeStopsTheThreadAndNothingIsDeliveredAfterwards() throws Exception {
    String topic = newTopic(1);
    Table table = new Table();
    CompactedTopicFollower follower = follower(topic, table);
    follower.start();
    await().atMost(Duration.ofSeconds(30)).until(follower::caughtUp);
    await().atMost(Duration.ofSeconds(5)).until(() -> table.thread.get() != null);
    Thread reader = table.thread.get();
    assertThat(reader.getName()).isEqualTo("corebus-test-follower");
    assertThat(reader.isAlive()).isTrue();

    follower.close();
    await().atMost(Duration.ofSeconds(5)).until(() -> !reader.isAlive());

    send(topic, "a", "1");
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(3))
        .until(() -> table.values.isEmpty() && table.calls.isEmpty());
    follower.close(); // a second close is harmless
  }
}
