package io.corebus.runtime.bus;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * A consumer-group member that hands each record to a handler, lets up to {@code maxInFlight}
 * records be processed at once, and commits an offset only after every record before it finished.
 *
 * <p>On a rebalance it finishes the records of revoked partitions and commits them before giving
 * the partitions up (cooperative assignment keeps the others flowing). {@link #close} stops
 * fetching, waits for in-flight records up to the drain timeout, commits, and leaves the group: no
 * record is lost, and at most the unfinished ones are redelivered to another replica.
 */
public final class CommittingConsumer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(CommittingConsumer.class);

  private final String name;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Collection<String> topics;
  private final Function<ConsumerRecord<byte[], byte[]>, CompletableFuture<?>> handler;
  private final int maxInFlight;
  private final Duration drainTimeout;
  private final Map<TopicPartition, OffsetTracker> trackers = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean joined;
  private volatile Throwable failure;
  private volatile long lag = -1;
  private long lagReadNanos;
  private volatile boolean paused;
  private final Object capacity = new Object();
  // Notified when a record finishes while awaitInFlight waits (draining is true).
  private final Object finishing = new Object();
  private volatile boolean draining;

  public CommittingConsumer(
      String name,
      Map<String, Object> consumerProperties,
      Collection<String> topics,
      Function<ConsumerRecord<byte[], byte[]>, CompletableFuture<?>> handler,
      int maxInFlight,
      Duration drainTimeout) {
    this.name = name;
    this.consumer = new KafkaConsumer<>(consumerProperties);
    this.topics = List.copyOf(topics);
    this.handler = handler;
    this.maxInFlight = maxInFlight;
    this.drainTimeout = drainTimeout;
    this.thread = new Thread(this::run, "corebus-" + name);
  }

  public void start() {
    thread.start();
  }

  /** True once the group assigned this member its partitions (possibly none) at least once. */
  public boolean joined() {
    return joined;
  }

  /** Why the consumer thread died, or null while it runs normally. */
  public Throwable failure() {
    return failure;
  }

  public int inFlight() {
    return inFlight.get();
  }

  public Collection<String> topics() {
    return topics;
  }

  private void run() {
    try {
      consumer.subscribe(topics, new Rebalance());
      while (running) {
        awaitCapacity();
        // Paused (full): poll only to keep the group membership; records wait in Kafka.
        ConsumerRecords<byte[], byte[]> records =
            consumer.poll(paused ? Duration.ZERO : Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> record : records) {
          dispatch(record);
        }
        commit(false);
        backpressure();
        readLag();
      }
    } catch (WakeupException e) {
      // close() woke us up
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      failure = t;
      LOG.errorf(t, "%s stopped consuming", name);
    } finally {
      try {
        awaitInFlight(trackers.keySet(), drainTimeout);
        commit(true);
      } catch (RuntimeException e) {
        LOG.warnf("%s: final commit failed: %s", name, e);
      }
      consumer.close(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  private void dispatch(ConsumerRecord<byte[], byte[]> record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    OffsetTracker tracker = trackers.computeIfAbsent(tp, k -> new OffsetTracker());
    tracker.started(record.offset());
    inFlight.incrementAndGet();
    CompletableFuture<?> done;
    try {
      done = handler.apply(record);
    } catch (RuntimeException e) {
      done = CompletableFuture.failedFuture(e);
    }
    done.whenComplete(
        (ok, error) -> {
          if (error != null) {
            // Handlers turn failures into replies or dead letters themselves; this is a bug.
            LOG.errorf(
                error,
                "%s: record %s-%d@%d failed",
                name,
                tp.topic(),
                tp.partition(),
                record.offset());
          }
          tracker.finished(record.offset());
          inFlight.decrementAndGet();
          if (draining) {
            synchronized (finishing) {
              finishing.notifyAll();
            }
          }
          if (paused) {
            synchronized (capacity) {
              capacity.notifyAll();
            }
          }
        });
  }

  /** Records waiting in this member's partitions as of its last fetch, or -1 when unknown. */
  public long lag() {
    return lag;
  }

  private void readLag() {
    long now = System.nanoTime();
    if (now - lagReadNanos < 1_000_000_000L) {
      return;
    }
    lagReadNanos = now;
    double sum = 0;
    boolean any = false;
    for (var e : consumer.metrics().entrySet()) {
      if (e.getKey().name().equals("records-lag")
          && e.getKey().group().equals("consumer-fetch-manager-metrics")
          && e.getValue().metricValue() instanceof Number n
          && !Double.isNaN(n.doubleValue())) {
        sum += n.doubleValue();
        any = true;
      }
    }
    lag = any ? (long) sum : (consumer.assignment().isEmpty() ? 0 : -1);
  }

  /**
   * While paused, waits until a record finishes (or 100 ms pass, to keep polling for rebalances)
   * and resumes: a paused consumer blocked in poll() would only notice the free capacity when its
   * poll timed out, stalling a saturated replica by up to the poll timeout.
   */
  private void awaitCapacity() throws InterruptedException {
    if (!paused) {
      return;
    }
    synchronized (capacity) {
      if (inFlight.get() >= maxInFlight) {
        capacity.wait(100);
      }
    }
    backpressure();
  }

  private void backpressure() {
    boolean full = inFlight.get() >= maxInFlight;
    if (full && !paused) {
      consumer.pause(consumer.assignment());
      paused = true;
    } else if (!full && paused) {
      consumer.resume(consumer.paused());
      paused = false;
    }
  }

  private void commit(boolean sync) {
    commit(trackers.keySet(), sync);
  }

  private void commit(Collection<TopicPartition> partitions, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetTracker t = trackers.get(tp);
      long offset = t == null ? -1 : t.toCommit();
      if (offset >= 0) {
        offsets.put(tp, new OffsetAndMetadata(offset));
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(offsets);
      offsets.forEach((tp, o) -> trackers.get(tp).committed(o.offset()));
    } else {
      consumer.commitAsync(
          offsets,
          (committed, error) -> {
            if (error == null) {
              committed.forEach(
                  (tp, o) -> {
                    OffsetTracker t = trackers.get(tp);
                    if (t != null) {
                      t.committed(o.offset());
                    }
                  });
            }
          });
    }
  }

  /**
   * Waits until the records of {@code partitions} finished, up to {@code timeout}. A record that
   * finishes after the count below read its tracker sees {@code draining} set and notifies; one
   * that finished before was counted as finished: no wake-up is lost.
   */
  private void awaitInFlight(Collection<TopicPartition> partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    draining = true;
    try {
      synchronized (finishing) {
        while (busy(partitions) > 0) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            LOG.warnf(
                "%s: in-flight records did not finish within %s; they will be redelivered",
                name, timeout);
            return;
          }
          TimeUnit.NANOSECONDS.timedWait(finishing, left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      draining = false;
    }
  }

  private int busy(Collection<TopicPartition> partitions) {
    int busy = 0;
    for (TopicPartition tp : partitions) {
      OffsetTracker t = trackers.get(tp);
      busy += t == null ? 0 : t.inFlight();
    }
    return busy;
  }

  /**
   * Stops fetching, lets in-flight records finish (up to the drain timeout), commits and leaves the
   * group. Returns when the consumer is closed.
   */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      if (!stopped.await(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
        LOG.warnf("%s did not stop in time", name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      long started = System.nanoTime();
      awaitInFlight(partitions, drainTimeout);
      try {
        commit(partitions, true);
      } catch (RuntimeException e) {
        LOG.warnf("%s: commit on revocation failed: %s", name, e);
      }
      partitions.forEach(trackers::remove);
      LOG.infof(
          "%s: gave up %d partition(s) after finishing and committing their records (%d ms)",
          name, partitions.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      joined = true;
      if (paused) {
        consumer.pause(partitions);
      }
      if (!partitions.isEmpty()) {
        LOG.infof("%s: took %d more partition(s)", name, partitions.size());
      }
      LOG.debugf("%s assigned %s", name, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(trackers::remove);
    }
  }
}
