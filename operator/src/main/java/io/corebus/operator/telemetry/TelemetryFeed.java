package io.corebus.operator.telemetry;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.TelemetryReport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Reads every namespace's telemetry topic ({@code <prefix>.<namespace>.telemetry}) into {@link
 * PluginTelemetry}, on its own thread. No consumer group and nothing committed: partitions are
 * assigned by hand (new namespaces' topics are found every {@code discoveryInterval}) and each is
 * read from the first record of the last window, so a restarted operator has its figures back at
 * once. Malformed records are skipped (counted); a Kafka outage is waited out with a back-off.
 */
public final class TelemetryFeed implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TelemetryFeed.class);
  private static final Duration POLL = Duration.ofMillis(500);

  private final Supplier<Map<String, Object>> consumerProperties;
  private final PluginTelemetry telemetry;
  private final Pattern topics;
  private final Duration discoveryInterval;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Consumer<byte[], byte[]> consumer;
  private volatile long malformed;
  private volatile long received;

  /**
   * @param consumerProperties bootstrap and security settings; group, offsets and deserializers are
   *     set here
   */
  public TelemetryFeed(
      Supplier<Map<String, Object>> consumerProperties,
      PluginTelemetry telemetry,
      String prefix,
      Duration discoveryInterval) {
    this.consumerProperties = consumerProperties;
    this.telemetry = telemetry;
    this.topics =
        Pattern.compile(Pattern.quote(prefix) + "\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.telemetry");
    this.discoveryInterval = discoveryInterval;
    this.thread = new Thread(this::run, "corebus-telemetry-feed");
    this.thread.setDaemon(true);
  }

  public static TelemetryFeed start(
      Supplier<Map<String, Object>> consumerProperties,
      PluginTelemetry telemetry,
      Duration discoveryInterval) {
    TelemetryFeed feed =
        new TelemetryFeed(
            consumerProperties, telemetry, BusTopics.DEFAULT_PREFIX, discoveryInterval);
    feed.thread.start();
    return feed;
  }

  /** Reports read so far. */
  public long received() {
    return received;
  }

  /** Records that were not telemetry reports. */
  public long malformed() {
    return malformed;
  }

  private void run() {
    Duration backoff = Duration.ofSeconds(1);
    while (running) {
      try (Consumer<byte[], byte[]> c = new KafkaConsumer<>(properties())) {
        consumer = c;
        follow(c);
        backoff = Duration.ofSeconds(1);
      } catch (WakeupException e) {
        // closing
      } catch (RuntimeException e) {
        if (!running) {
          return;
        }
        LOG.warnf("telemetry feed: %s; retrying in %s", e, backoff);
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException ie) {
          return;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0
                ? Duration.ofSeconds(30)
                : backoff.multipliedBy(2);
      } finally {
        consumer = null;
      }
    }
  }

  private void follow(Consumer<byte[], byte[]> c) {
    Set<TopicPartition> assigned = new HashSet<>();
    long nextDiscovery = 0;
    while (running) {
      if (System.currentTimeMillis() >= nextDiscovery) {
        discover(c, assigned);
        nextDiscovery = System.currentTimeMillis() + discoveryInterval.toMillis();
      }
      if (assigned.isEmpty()) {
        // Nothing to read yet: wait for the next discovery without spinning.
        c.poll(Duration.ZERO);
        sleepQuietly(Math.min(discoveryInterval.toMillis(), POLL.toMillis()));
        continue;
      }
      for (ConsumerRecord<byte[], byte[]> r : c.poll(POLL)) {
        if (r.value() == null) {
          continue;
        }
        try {
          telemetry.record(TelemetryReport.fromJson(new String(r.value(), StandardCharsets.UTF_8)));
          received++;
        } catch (RuntimeException e) {
          if (malformed++ == 0) {
            LOG.warnf(
                "telemetry feed: skipping a record of %s that is not a telemetry report (%s);"
                    + " further ones are only counted",
                r.topic(), e.getMessage());
          }
        }
      }
    }
  }

  /** Assigns the partitions of telemetry topics not seen before, from the start of the window. */
  private void discover(Consumer<byte[], byte[]> c, Set<TopicPartition> assigned) {
    Map<String, List<PartitionInfo>> all = c.listTopics(Duration.ofSeconds(10));
    List<TopicPartition> found = new ArrayList<>();
    all.forEach(
        (topic, partitions) -> {
          if (topics.matcher(topic).matches() && partitions != null) {
            partitions.forEach(p -> found.add(new TopicPartition(topic, p.partition())));
          }
        });
    List<TopicPartition> fresh = found.stream().filter(tp -> !assigned.contains(tp)).toList();
    if (fresh.isEmpty() && found.size() == assigned.size()) {
      return;
    }
    assigned.clear();
    assigned.addAll(found);
    Set<TopicPartition> before = new HashSet<>(c.assignment());
    c.assign(assigned);
    List<TopicPartition> added = fresh.stream().filter(tp -> !before.contains(tp)).toList();
    if (added.isEmpty()) {
      return;
    }
    long from = System.currentTimeMillis() - telemetry.window().toMillis();
    Map<TopicPartition, Long> query = new HashMap<>();
    added.forEach(tp -> query.put(tp, from));
    Map<TopicPartition, OffsetAndTimestamp> offsets =
        c.offsetsForTimes(query, Duration.ofSeconds(10));
    List<TopicPartition> toEnd = new ArrayList<>();
    for (TopicPartition tp : added) {
      OffsetAndTimestamp o = offsets.get(tp);
      if (o == null) {
        toEnd.add(tp);
      } else {
        c.seek(tp, o.offset());
      }
    }
    if (!toEnd.isEmpty()) {
      c.seekToEnd(toEnd);
    }
    LOG.debugf("telemetry feed: reading %s", added);
  }

  private Map<String, Object> properties() {
    Map<String, Object> p = new HashMap<>(consumerProperties.get());
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "corebus-operator-telemetry");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    p.put(
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
        org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    p.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
        org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
    return p;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    Consumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
