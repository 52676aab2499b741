package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KafkaBrokerIT {

  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  @Test
  void recordsProducedWithAcksAllAreConsumedInOrder() throws Exception {
    String topic = "round-trip-" + UUID.randomUUID();
    kafka.broker().createTopic(topic, 2);

    Map<String, Object> producerProps =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true);
    try (var producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, "key", "value-" + i)).get();
      }
    }

    Map<String, Object> consumerProps =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "it-" + topic,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest");
    List<String> values = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                  values.add(r.value());
                }
                return values.size() >= 10;
              });
    }
    // one key, one partition: the order of sends is kept
    assertThat(values)
        .containsExactly(
            "value-0", "value-1", "value-2", "value-3", "value-4", "value-5", "value-6", "value-7",
            "value-8", "value-9");
  }

  @Test
  void topicsAreNotCreatedByClientsAsOnACorebusCluster() throws Exception {
    Map<String, Object> producerProps =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            1500);
    try (var producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
      var send = producer.send(new ProducerRecord<>("never-created", "v"));
      org.assertj.core.api.Assertions.assertThatThrownBy(send::get)
          .hasMessageContaining("not present in metadata");
    }
  }

  @Test
  void closeStopsTheProcessAndDeletesItsData() {
    KafkaBroker broker = KafkaBroker.start(new KafkaBroker.Options().heap("256m"));
    ProcessHandle process = broker.processHandle();
    Path workDir = broker.workDir();
    assertThat(process.isAlive()).isTrue();
    assertThat(workDir.resolve("data")).isDirectory();

    broker.close();

    assertThat(process.isAlive()).isFalse();
    assertThat(workDir).doesNotExist();
  }

  @Test
  void brokerExitsWhenItsParentJvmIsKilled() throws Exception {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Process parent =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                BrokerParentMain.class.getName())
            .redirectErrorStream(true)
            .start();
    try {
      long brokerPid;
      Path workDir;
      try (var out =
          new BufferedReader(
              new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        do {
          line = out.readLine();
          assertThat(line).as("parent exited before the broker was up").isNotNull();
        } while (!line.startsWith("BROKER "));
        String[] parts = line.split(" ");
        brokerPid = Long.parseLong(parts[1]);
        workDir = Path.of(parts[2]);
      }
      ProcessHandle broker = ProcessHandle.of(brokerPid).orElseThrow();
      assertThat(broker.isAlive()).isTrue();

      parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent

      await().atMost(Duration.ofSeconds(30)).until(() -> !broker.isAlive());
      Directories.deleteRecursively(workDir);
      assertThat(Files.exists(workDir)).isFalse();
    } finally {
      parent.destroyForcibly();
    }
  }

  /** Starts a broker and waits forever; the test kills it with SIGKILL. */
  public static final class BrokerParentMain {
    public static void main(String[] args) throws Exception {
      KafkaBroker broker = KafkaBroker.start(new KafkaBroker.Options().heap("256m"));
      System.out.println("BROKER " + broker.processHandle().pid() + " " + broker.workDir());
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }
}
