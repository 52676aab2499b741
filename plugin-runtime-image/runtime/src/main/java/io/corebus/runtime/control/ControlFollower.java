package io.corebus.runtime.control;

import io.corebus.bus.protocol.ControlCodec;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.runtime.bus.CompactedTopicFollower;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;

/**
 * Follows the operator's control topic for one plug-in: reads the compacted topic from the
 * beginning (with a {@link CompactedTopicFollower}), and once it read up to the end offsets seen at
 * start, tells the listener the plug-in's {@link DesiredArtifact}, then every later one. Only the
 * latest command counts: the history read while catching up is not replayed, so a restarted pod
 * never swaps through old versions.
 *
 * <p>A missing topic (an operator without hot swap) is waited for; a malformed record is logged and
 * skipped, the previous command stays in force; a tombstone means "no command".
 */
public final class ControlFollower implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ControlFollower.class);

  private final String plugin;
  private final byte[] key;
  private final Consumer<DesiredArtifact> listener;
  private final CompactedTopicFollower follower;
  private volatile String lastMalformed;
  // The latest command read, and whether the listener has not been told about it yet; on the
  // follower's thread only.
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
    this.plugin = plugin;
    this.key = ControlCodec.key(plugin);
    this.listener = listener;
    this.follower =
        new CompactedTopicFollower(
            topic, "control topic", "corebus-control", consumer, new ControlRecords());
  }

  public void start() {
    follower.start();
  }

  /** Whether the topic was read up to the end offsets seen when it was first found. */
  public boolean caughtUp() {
    return follower.caughtUp();
  }

  /** The problem of the last malformed record of this plug-in, or null. */
  public String lastMalformed() {
    return lastMalformed;
  }

  /** The records of this plug-in's key, kept until caught up, then told as they come. */
  private final class ControlRecords implements CompactedTopicFollower.Updates {
    @Override
    public void put(ConsumerRecord<byte[], byte[]> r) {
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

    /** No command: nothing to tell, and an earlier one not told yet is dropped. */
    @Override
    public void remove(ConsumerRecord<byte[], byte[]> tombstone) {
      if (Arrays.equals(key, tombstone.key())) {
        latest = Optional.empty();
        untold = true;
      }
    }

    @Override
    public void polled() {
      if (follower.caughtUp() && untold) {
        untold = false;
        latest.ifPresent(ControlFollower.this::tell);
      }
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
  public void close() {
    follower.close();
  }
}
