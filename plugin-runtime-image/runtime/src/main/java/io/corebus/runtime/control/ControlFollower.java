package io.corebus.runtime.control;

import io.corebus.bus.protocol.ControlCodec;
import io.corebus.bus.protocol.DesiredArtifact;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Follows the operator's control topic for one plug-in: reads the compacted topic from the
 * beginning (no group), and once it read up to the end offsets seen at start, tells the listener
 * the plug-in's {@link DesiredArtifact}, then every later one. Only the latest command counts: the
 * history read while catching up is not replayed, so a restarted pod never swaps through old
 * versions.
 *
 * <p>A missing topic (an operator without hot swap) is waited for; a malformed record is logged and
 * skipped, the previous command stays in force; a tombstone means "no command".
 */
public final class ControlFollower implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControlFollower.class);

  private final String topic;
  private final String plugin;
  private final byte[] key;
  private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
  private final Consumer<DesiredArtifact> listener;
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private final Map<TopicPartition, Long> catchUpTargets = new HashMap<>();
  private volatile boolean running = true;
  private volatile boolean caughtUp;
  private volatile String lastMalformed;
  private boolean started;
  // The latest command read, and whether the listener has not been told about it yet.
  private Optional<DesiredArtifact> latest = Optional.empty();
  private boolean untold;

  public ControlFollower(
      String topic,
      String plugin,
      Map<String, Object> consumerProperties,
      Consumer<DesiredArtifact> listener) {
    this(topic, plugin, new KafkaConsumer<>(consumerProperties), listener);
  }

  ControlFollower(
      String topic,
      String plugin,
      org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
      Consumer<DesiredArtifact> listener) {
    this.topic = topic;
    this.plugin = plugin;
    this.key = ControlCodec.key(plugin);
    this.consumer = consumer;
    this.listener = listener;
    this.thread = new Thread(this::run, "corebus-control");
    this.thread.setDaemon(true);
  }

  public synchronized void start() {
    started = true;
    thread.start();
  }

  /** Whether the topic was read up to the end offsets seen when it was first found. */
  public boolean caughtUp() {
    return caughtUp;
  }

  /** The problem of the last malformed record of this plug-in, or null. */
  public String lastMalformed() {
    return lastMalformed;
  }

  private void run() {
    try {
      boolean assigned = false;
      while (running) {
        try {
          if (!assigned) {
            assigned = assign();
            if (!assigned) {
              stopping.await(2, TimeUnit.SECONDS);
              continue;
            }
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            apply(r);
          }
          if (!caughtUp) {
            caughtUp = reachedTargets();
          }
          if (caughtUp && untold) {
            untold = false;
            latest.ifPresent(this::tell);
          }
        } catch (WakeupException e) {
          if (!running) {
            return;
          }
        } catch (RuntimeException e) {
          LOG.warnf("cannot read the control topic %s (retrying): %s", topic, e.toString());
          stopping.await(1, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debugf("closing the control consumer: %s", e);
      }
      stopped.countDown();
    }
  }

  private boolean assign() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
    if (infos == null || infos.isEmpty()) {
      return false;
    }
    List<TopicPartition> partitions =
        infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    catchUpTargets.putAll(consumer.endOffsets(partitions, Duration.ofSeconds(10)));
    return true;
  }

  private boolean reachedTargets() {
    for (Map.Entry<TopicPartition, Long> e : catchUpTargets.entrySet()) {
      if (consumer.position(e.getKey(), Duration.ofSeconds(5)) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Keeps the record when it is this plug-in's. */
  void apply(ConsumerRecord<byte[], byte[]> r) {
    if (!Arrays.equals(key, r.key())) {
      return;
    }
    try {
      latest = ControlCodec.decode(r.key(), r.value());
      untold = true;
    } catch (IllegalArgumentException e) {
      lastMalformed = e.getMessage();
      LOG.warnf(
          "skipping control record %s-%d@%d of %s: %s (the previous command stays)",
          r.topic(), r.partition(), r.offset(), plugin, e.getMessage());
    }
  }

  private void tell(DesiredArtifact desired) {
    try {
      listener.accept(desired);
    } catch (RuntimeException e) {
      LOG.errorf(
          e, "acting on the control command %s failed", new String(key, StandardCharsets.UTF_8));
    }
  }

  @Override
  public synchronized void close() {
    if (!started) {
      consumer.close(Duration.ofSeconds(1));
      return;
    }
    running = false;
    stopping.countDown();
    consumer.wakeup();
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
