package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.junit.jupiter.api.Test;

class KafkaSettingsTest {

  @Test
  void producerIsDurableAndDoesNotLingerOnTheRpcPath() {
    Map<String, Object> p = KafkaSettings.producer("b:9092", "c", 0);
    assertThat(p)
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", true)
        .containsEntry("linger.ms", 0);
  }

  @Test
  void groupConsumersCommitThemselvesAndRebalanceCooperatively() {
    Map<String, Object> c = KafkaSettings.groupConsumer("b:9092", "g", "c", 64);
    assertThat(c)
        .containsEntry("enable.auto.commit", false)
        .containsEntry("auto.offset.reset", "earliest")
        .containsEntry("max.poll.records", 64)
        .containsEntry("partition.assignment.strategy", CooperativeStickyAssignor.class.getName());
  }

  @Test
  void groupMembersLearnOfARebalanceWithinAQuarterSecond() {
    // a stopping replica's partitions have no consumer until the others notice the rebalance
    assertThat(KafkaSettings.groupConsumer("b:9092", "g", "c", 64))
        .containsEntry("session.timeout.ms", 10_000)
        .containsEntry("heartbeat.interval.ms", 250);
    // and a heartbeat stays well inside a short session
    assertThat(
            KafkaSettings.groupConsumer("b:9092", "g", "c", 64, java.time.Duration.ofMillis(600)))
        .containsEntry("heartbeat.interval.ms", 200);
  }
}
