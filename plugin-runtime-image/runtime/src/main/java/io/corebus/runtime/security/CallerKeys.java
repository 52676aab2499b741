package io.corebus.runtime.security;

import io.corebus.bus.protocol.CallSignature;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The plug-ins' public keys, followed live from the operator's compacted keys topic (key: plug-in
 * name, value: base64 X.509 Ed25519 key; a tombstone removes it). A consumer without a group reads
 * it from the beginning and keeps reading, as the route table does.
 *
 * <p>{@link #keyOf} answers at once for a known plug-in; for an unknown one it waits a little (the
 * operator publishes a plug-in's key before it creates its pods, but this reader may lag behind by
 * a moment) and then answers null. A malformed record is logged and skipped; the plug-in keeps its
 * previous key.
 */
public final class CallerKeys implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CallerKeys.class);

  private final String topic;
  private final Consumer<byte[], byte[]> consumer;
  private final ScheduledExecutorService scheduler;
  private final Map<String, PublicKey> keys = new ConcurrentHashMap<>();
  private final Map<String, List<CompletableFuture<PublicKey>>> waiting = new HashMap<>();
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean running = true;

  public CallerKeys(
      String topic, Map<String, Object> consumerProperties, ScheduledExecutorService scheduler) {
    this.topic = topic;
    this.consumer = new KafkaConsumer<>(consumerProperties);
    this.scheduler = scheduler;
    this.thread = new Thread(this::run, "corebus-caller-keys");
    this.thread.setDaemon(true);
  }

  public synchronized void start() {
    thread.start();
  }

  public String topic() {
    return topic;
  }

  /** Whether the topic was read up to the end offsets seen at start. */
  public boolean caughtUp() {
    return caughtUp.isDone();
  }

  /** The plug-in's key now, or null. */
  public PublicKey current(String plugin) {
    return plugin == null ? null : keys.get(plugin);
  }

  /**
   * The plug-in's key; when it is not known (yet), waits up to {@code wait} for it to appear, then
   * completes with null. Completes on the reader's or the scheduler's thread.
   */
  public CompletableFuture<PublicKey> keyOf(String plugin, Duration wait) {
    PublicKey known = current(plugin);
    if (known != null || plugin == null) {
      return CompletableFuture.completedFuture(known);
    }
    CompletableFuture<PublicKey> f = new CompletableFuture<>();
    synchronized (waiting) {
      known = keys.get(plugin);
      if (known != null) {
        return CompletableFuture.completedFuture(known);
      }
      waiting.computeIfAbsent(plugin, p -> new ArrayList<>()).add(f);
    }
    scheduler.schedule(() -> f.complete(null), wait.toMillis(), TimeUnit.MILLISECONDS);
    f.whenComplete(
        (k, e) -> {
          synchronized (waiting) {
            List<CompletableFuture<PublicKey>> w = waiting.get(plugin);
            if (w != null && w.remove(f) && w.isEmpty()) {
              waiting.remove(plugin);
            }
          }
        });
    return f;
  }

  private void run() {
    Map<TopicPartition, Long> targets = null;
    try {
      while (running) {
        try {
          if (targets == null) {
            targets = assign();
            if (targets == null) {
              stopping.await(1, TimeUnit.SECONDS);
              continue;
            }
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            apply(r);
          }
          if (!caughtUp()) {
            boolean all = true;
            for (Map.Entry<TopicPartition, Long> e : targets.entrySet()) {
              all &= consumer.position(e.getKey(), Duration.ofSeconds(5)) >= e.getValue();
            }
            if (all) {
              LOG.infof("caller keys %s read: %d plug-ins", topic, keys.size());
              caughtUp.complete(null);
            }
          }
        } catch (WakeupException e) {
          if (!running) {
            return;
          }
        } catch (RuntimeException e) {
          LOG.warnf("cannot read the caller keys %s (retrying): %s", topic, e.toString());
          stopping.await(1, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debugf("closing the caller keys consumer: %s", e);
      }
    }
  }

  /** Assigns every partition from the beginning; null while the topic does not exist. */
  private Map<TopicPartition, Long> assign() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
    if (infos == null || infos.isEmpty()) {
      return null;
    }
    List<TopicPartition> all =
        infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(all);
    consumer.seekToBeginning(all);
    return consumer.endOffsets(all, Duration.ofSeconds(10));
  }

  void apply(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      return;
    }
    String plugin = new String(r.key(), StandardCharsets.UTF_8);
    if (r.value() == null) {
      keys.remove(plugin);
      LOG.infof("key of plug-in %s withdrawn", plugin);
      return;
    }
    PublicKey key;
    try {
      key = CallSignature.publicKey(new String(r.value(), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      LOG.warnf(
          "skipping key record %s-%d@%d for %s: %s",
          r.topic(), r.partition(), r.offset(), plugin, e.getMessage());
      return;
    }
    List<CompletableFuture<PublicKey>> w;
    synchronized (waiting) {
      keys.put(plugin, key);
      w = waiting.remove(plugin);
    }
    if (w != null) {
      w.forEach(f -> f.complete(key));
    }
  }

  @Override
  public synchronized void close() {
    running = false;
    stopping.countDown();
    if (!thread.isAlive()) {
      consumer.close(Duration.ZERO);
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
