package io.corebus.runtime.bus;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Reads one of the operator's compacted topics (routes, control commands, callers' keys) as a
 * key-value table kept up to date: a consumer without a group is assigned every partition, reads it
 * from the beginning and keeps reading, on its own thread; each record is handed to {@link Updates}
 * as the key's new value, or, as a tombstone, as the key's removal. What a key and a value mean is
 * the owner's business.
 *
 * <p>{@link #whenCaughtUp()} completes once every partition was read up to the end offsets seen
 * when the topic was first found: before that, a key missing from the table may only not be read
 * yet. A missing topic is waited for (the operator creates it); partitions added later are read
 * from their beginning. Kafka errors are logged and retried after a second.
 */
public final class CompactedTopicFollower implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CompactedTopicFollower.class);
  private static final long PARTITION_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long RETRY_MILLIS = 1_000;

  /** What the owner does with the records; called on the follower's thread only, in order. */
  public interface Updates {
    /** A record with a value: the key's value from now on. */
    void put(ConsumerRecord<byte[], byte[]> record);

    /** A tombstone: the key has no value any more. */
    void remove(ConsumerRecord<byte[], byte[]> tombstone);

    /** After each poll, once its records were handed over and catch-up was checked. */
    default void polled() {}
  }

  private final String topic;
  private final String what;
  private final Consumer<byte[], byte[]> consumer;
  private final Updates updates;
  private final Thread thread;
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private final Map<TopicPartition, Long> catchUpTargets = new HashMap<>();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile String problem = "not started";
  private boolean started;
  private boolean closed;
  private long partitionsCheckedNanos;

  /**
   * @param what what the topic holds, for logs and {@link #notCaughtUpReason()} ("route table")
   * @param threadName the name of the reading thread
   * @param consumer a consumer without a group id and with auto-commit off; the follower owns it
   */
  public CompactedTopicFollower(
      String topic,
      String what,
      String threadName,
      Consumer<byte[], byte[]> consumer,
      Updates updates) {
    this.topic = topic;
    this.what = what;
    this.consumer = consumer;
    this.updates = updates;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  /** Starts reading; does nothing once closed. */
  public synchronized void start() {
    if (started || closed) {
      return;
    }
    problem = "reading the " + what + " " + topic;
    started = true;
    thread.start();
  }

  public String topic() {
    return topic;
  }

  /** Whether the topic was read up to the end offsets seen when it was first found. */
  public boolean caughtUp() {
    return caughtUp.isDone();
  }

  /**
   * Completes when the topic was read up to the end offsets seen when it was first found. Actions
   * added before that run on the follower's thread: do not block there.
   */
  public CompletableFuture<Void> whenCaughtUp() {
    return caughtUp.copy();
  }

  /** Why the follower has not caught up (not started, a missing topic, Kafka errors), or null. */
  public String notCaughtUpReason() {
    return caughtUp() ? null : problem;
  }

  private void run() {
    try {
      while (running) {
        try {
          if (!refreshPartitions()) {
            stopping.await(RETRY_MILLIS, TimeUnit.MILLISECONDS);
            continue;
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            handOver(r);
          }
          checkCaughtUp();
          updates.polled();
        } catch (WakeupException e) {
          if (!running) {
            return;
          }
        } catch (RuntimeException e) {
          problem = "cannot read the " + what + " " + topic + ": " + e;
          LOG.warnf("cannot read the %s %s (retrying): %s", what, topic, e.toString());
          stopping.await(RETRY_MILLIS, TimeUnit.MILLISECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeConsumer(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  /** One record to the owner; a failure there costs that record only, not the rest of the poll. */
  private void handOver(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      // A compacted topic refuses records without a key; a non-compacted one is a mistake.
      LOG.warnf(
          "skipping %s record %s-%d@%d: it has no key", what, r.topic(), r.partition(), r.offset());
      return;
    }
    try {
      if (r.value() == null) {
        updates.remove(r);
      } else {
        updates.put(r);
      }
    } catch (RuntimeException e) {
      LOG.errorf(
          e, "handling %s record %s-%d@%d failed", what, r.topic(), r.partition(), r.offset());
    }
  }

  /**
   * Assigns partitions not read yet, from their beginning; false while the topic does not exist.
   */
  private boolean refreshPartitions() {
    long now = System.nanoTime();
    if (!assigned.isEmpty() && now - partitionsCheckedNanos < PARTITION_REFRESH_NANOS) {
      return true;
    }
    partitionsCheckedNanos = now;
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
    if (infos == null || infos.isEmpty()) {
      if (assigned.isEmpty()) {
        problem = "the " + what + " " + topic + " does not exist (the operator creates it)";
        return false;
      }
      return true;
    }
    Set<TopicPartition> fresh = new HashSet<>();
    for (PartitionInfo p : infos) {
      TopicPartition tp = new TopicPartition(p.topic(), p.partition());
      if (!assigned.contains(tp)) {
        fresh.add(tp);
      }
    }
    if (fresh.isEmpty()) {
      return true;
    }
    assigned.addAll(fresh);
    consumer.assign(assigned);
    consumer.seekToBeginning(fresh);
    if (!caughtUp()) {
      catchUpTargets.putAll(consumer.endOffsets(fresh, Duration.ofSeconds(10)));
      problem = "reading the " + what + " " + topic + " up to offsets " + catchUpTargets;
    }
    return true;
  }

  private void checkCaughtUp() {
    if (caughtUp() || catchUpTargets.isEmpty()) {
      return;
    }
    for (Map.Entry<TopicPartition, Long> e : catchUpTargets.entrySet()) {
      if (consumer.position(e.getKey(), Duration.ofSeconds(5)) < e.getValue()) {
        return;
      }
    }
    problem = null;
    caughtUp.complete(null);
  }

  private void closeConsumer(Duration timeout) {
    try {
      consumer.close(timeout);
    } catch (RuntimeException e) {
      LOG.debugf("closing the %s consumer: %s", what, e);
    }
  }

  /** Stops the thread and closes the consumer; returns when both are done (at most ~10 s). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!started) {
      closeConsumer(Duration.ofSeconds(1));
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
