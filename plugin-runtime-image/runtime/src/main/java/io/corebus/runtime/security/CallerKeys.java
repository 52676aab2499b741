package io.corebus.runtime.security;

import io.corebus.bus.protocol.CallSignature;
import io.corebus.runtime.bus.CompactedTopicFollower;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;

/**
 * The plug-ins' public keys, followed live from the operator's compacted keys topic (key: plug-in
 * name, value: base64 X.509 Ed25519 key; a tombstone removes it), read from the beginning and
 * followed by a {@link CompactedTopicFollower}, as the route table is.
 *
 * <p>{@link #keyOf} answers at once for a known plug-in; for an unknown one it waits a little (the
 * operator publishes a plug-in's key before it creates its pods, but this reader may lag behind by
 * a moment) and then answers null. A malformed record is logged and skipped; the plug-in keeps its
 * previous key.
 */
public final class CallerKeys implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CallerKeys.class);

  private final CompactedTopicFollower follower;
  private final ScheduledExecutorService scheduler;
  private final Map<String, PublicKey> keys = new ConcurrentHashMap<>();
  private final Map<String, List<CompletableFuture<PublicKey>>> waiting = new HashMap<>();

  public CallerKeys(
      String topic, Map<String, Object> consumerProperties, ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
    this.follower =
        new CompactedTopicFollower(
            topic,
            "caller keys",
            "corebus-caller-keys",
            new KafkaConsumer<>(consumerProperties),
            new KeyRecords());
    follower
        .whenCaughtUp()
        .thenRun(() -> LOG.infof("caller keys %s read: %d plug-ins", topic, keys.size()));
  }

  public void start() {
    follower.start();
  }

  public String topic() {
    return follower.topic();
  }

  /** Whether the topic was read up to the end offsets seen at start. */
  public boolean caughtUp() {
    return follower.caughtUp();
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

  /** The key records: a plug-in's key replaced or withdrawn. */
  private final class KeyRecords implements CompactedTopicFollower.Updates {
    @Override
    public void put(ConsumerRecord<byte[], byte[]> r) {
      String plugin = new String(r.key(), StandardCharsets.UTF_8);
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
    public void remove(ConsumerRecord<byte[], byte[]> tombstone) {
      String plugin = new String(tombstone.key(), StandardCharsets.UTF_8);
      keys.remove(plugin);
      LOG.infof("key of plug-in %s withdrawn", plugin);
    }
  }

  @Override
  public void close() {
    follower.close();
  }
}
