package io.corebus.runtime.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.ControlCodec;
import io.corebus.bus.protocol.DesiredArtifact;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The control-topic follower against Kafka's MockConsumer. */
class ControlFollowerTest {
  static final String TOPIC = "corebus.t.control";
  static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  final List<DesiredArtifact> told = new CopyOnWriteArrayList<>();
  final ControlFollower follower = new ControlFollower(TOPIC, "echo", consumer, told::add);
  long offset;

  @AfterEach
  void close() {
    follower.close();
  }

  static DesiredArtifact desired(String plugin, String version, long generation) {
    return new DesiredArtifact(
        plugin, version, "file:/jars/" + version + ".jar", "a".repeat(64), generation);
  }

  void add(String plugin, byte[] value) {
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset++, ControlCodec.key(plugin), value));
  }

  void add(DesiredArtifact d) {
    add(d.plugin(), ControlCodec.value(d));
  }

  void topicWithEndOffset(long end) {
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    consumer.updateEndOffsets(Map.of(TP, end));
    consumer.updatePartitions(
        TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
  }

  @Test
  void aRestartedRuntimeIsToldOnlyTheLatestCommandNotTheHistory() {
    topicWithEndOffset(3);
    follower.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> !consumer.assignment().isEmpty());
    add(desired("echo", "1.0.0", 1));
    add(desired("other", "9.0.0", 1));
    assertThat(follower.caughtUp()).as("not read to the end offset yet").isFalse();
    add(desired("echo", "2.0.0", 2));

    await().atMost(Duration.ofSeconds(5)).until(follower::caughtUp);
    await().atMost(Duration.ofSeconds(5)).until(() -> !told.isEmpty());
    assertThat(told).containsExactly(desired("echo", "2.0.0", 2));
  }

  @Test
  void laterCommandsAreToldAndBadRecordsOrTombstonesAreNot() {
    topicWithEndOffset(0);
    follower.start();
    await().atMost(Duration.ofSeconds(5)).until(follower::caughtUp);

    add(desired("echo", "2.0.0", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> told.size() == 1);
    add("echo", "{broken".getBytes(StandardCharsets.UTF_8));
    add("echo", null);
    add(desired("other", "3.0.0", 3));
    add(desired("echo", "3.0.0", 3));

    await().atMost(Duration.ofSeconds(5)).until(() -> told.size() == 2);
    assertThat(told).containsExactly(desired("echo", "2.0.0", 2), desired("echo", "3.0.0", 3));
    assertThat(follower.lastMalformed()).contains("'echo'").contains("malformed");
  }

  @Test
  void aMissingTopicIsWaitedFor() {
    follower.start();
    await()
        .pollDelay(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !follower.caughtUp());

    topicWithEndOffset(0);
    await().atMost(Duration.ofSeconds(10)).until(follower::caughtUp);
    add(desired("echo", "2.0.0", 2));
    await().atMost(Duration.ofSeconds(5)).until(() -> told.size() == 1);
  }
}
