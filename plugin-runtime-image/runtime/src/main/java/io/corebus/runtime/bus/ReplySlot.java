package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusHeaders;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * This runtime instance's reply slot: a one-partition topic that only this instance reads, from its
 * end, without a consumer group. Outgoing calls register their correlation id here before the
 * request is sent; a reply completes the waiting call. Replies for calls nobody waits for any more
 * (timed out, or from before a restart) are ignored.
 */
public final class ReplySlot implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ReplySlot.class);

  /** Replies matter only within call deadlines: keep the slot's data short. */
  static final String RETENTION_MS = Long.toString(Duration.ofMinutes(10).toMillis());

  private final String topic;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, CompletableFuture<Reply>> waiting = new ConcurrentHashMap<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean ready;
  private volatile Throwable failure;

  public ReplySlot(String topic, Map<String, Object> consumerProperties) {
    this.topic = topic;
    this.consumer = new KafkaConsumer<>(consumerProperties);
    this.thread = new Thread(this::run, "corebus-reply-slot");
  }

  /** Creates the slot's topic when it does not exist yet (the runtime owns its own slot). */
  public static void ensureTopic(Admin admin, String topic, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    NewTopic newTopic =
        new NewTopic(topic, Optional.of(1), Optional.empty())
            .configs(
                Map.of(
                    TopicConfig.RETENTION_MS_CONFIG,
                    RETENTION_MS,
                    TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_DELETE));
    try {
      admin.createTopics(List.of(newTopic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  public void start() {
    thread.start();
  }

  public String topic() {
    return topic;
  }

  public int partition() {
    return 0;
  }

  /** True once the slot is positioned at its end: replies to calls sent from now on arrive. */
  public boolean ready() {
    return ready;
  }

  public Throwable failure() {
    return failure;
  }

  /** Registers a call waiting for its reply; call before sending the request. */
  CompletableFuture<Reply> expect(String correlationId) {
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    if (!running) {
      reply.complete(
          Reply.error(Status.UNAVAILABLE.withDescription("the runtime is shutting down")));
      return reply;
    }
    waiting.put(correlationId, reply);
    return reply;
  }

  void forget(String correlationId) {
    waiting.remove(correlationId);
  }

  int waitingCalls() {
    return waiting.size();
  }

  private void run() {
    TopicPartition tp = new TopicPartition(topic, 0);
    try {
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      consumer.position(tp, Duration.ofSeconds(30)); // resolves the end now, not at first poll
      ready = true;
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          deliver(r);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (Throwable t) {
      failure = t;
      ready = false;
      LOG.errorf(t, "reply slot %s stopped", topic);
    } finally {
      consumer.close(Duration.ofSeconds(5));
      stopped.countDown();
    }
  }

  private void deliver(ConsumerRecord<byte[], byte[]> r) {
    String correlationId = Records.header(r.headers(), BusHeaders.CORRELATION_ID);
    CompletableFuture<Reply> call = correlationId == null ? null : waiting.remove(correlationId);
    if (call == null) {
      return; // late or foreign: nobody waits for it
    }
    int code =
        (int) Records.longHeader(r.headers(), BusHeaders.STATUS, Status.Code.UNKNOWN.value());
    String message = Records.header(r.headers(), BusHeaders.STATUS_MESSAGE);
    call.complete(new Reply(code, message, r.value() == null ? Reply.EMPTY : r.value()));
  }

  /** Stops reading; calls still waiting fail with UNAVAILABLE. */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Reply gone = Reply.error(Status.UNAVAILABLE.withDescription("the runtime is shutting down"));
    waiting.values().forEach(f -> f.complete(gone));
    waiting.clear();
  }
}
