package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.plugin.Event;
import io.corebus.plugin.EventHandler;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.Logger;

/**
 * Events: publishing to an event type's topic, and handling the records of subscribed types with
 * bounded retries and a dead-letter topic.
 */
public final class EventBus {
  private static final Logger LOG = Logger.getLogger(EventBus.class);

  private final BusTopics topics;
  private final Producer<byte[], byte[]> producer;
  private final RuntimeIdentity identity;
  private final Duration publishTimeout;
  private final int attempts;
  private final Executor workers;
  private final ScheduledExecutorService scheduler;
  private final ClassLoader handlerLoader;
  private final BusMetrics metrics;
  private final Map<String, EventHandler> handlersByTopic = new ConcurrentHashMap<>();

  public EventBus(
      BusTopics topics,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Duration publishTimeout,
      int attempts,
      Executor workers,
      ScheduledExecutorService scheduler,
      ClassLoader handlerLoader,
      BusMetrics metrics) {
    this.metrics = metrics;
    this.topics = topics;
    this.producer = producer;
    this.identity = identity;
    this.publishTimeout = publishTimeout;
    this.attempts = Math.max(1, attempts);
    this.workers = workers;
    this.scheduler = scheduler;
    this.handlerLoader = handlerLoader;
  }

  /** Sends the event and waits until Kafka stored it on all in-sync replicas. */
  public void publish(String eventType, byte[] payload) {
    String topic = topics.events(eventType);
    String id = UUID.randomUUID().toString();
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, id.getBytes(StandardCharsets.UTF_8), payload);
    Headers h = record.headers();
    Records.put(h, BusHeaders.PROTOCOL, BusHeaders.PROTOCOL_VERSION);
    Records.put(h, BusHeaders.EVENT_ID, id);
    Records.put(h, BusHeaders.EVENT_TYPE, eventType);
    Records.put(h, BusHeaders.EVENT_SOURCE, identity.plugin());
    Records.put(h, BusHeaders.EVENT_TIME, Long.toString(System.currentTimeMillis()));
    Records.put(h, BusHeaders.TRACEPARENT, TraceContext.forOutgoingCall());
    try {
      producer.send(record).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("event " + eventType + " not stored within " + publishTimeout)
          .asRuntimeException();
    } catch (ExecutionException e) {
      throw Status.UNAVAILABLE
          .withDescription("cannot publish " + eventType + " to " + topic + ": " + e.getCause())
          .withCause(e.getCause())
          .asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    } catch (RuntimeException e) {
      throw Status.UNAVAILABLE
          .withDescription("cannot publish " + eventType + ": " + e)
          .withCause(e)
          .asRuntimeException();
    }
  }

  /** Registers the handler of an event type; returns the topic to consume. */
  public String subscribe(String eventType, EventHandler handler) {
    String topic = topics.events(eventType);
    if (handlersByTopic.putIfAbsent(topic, handler) != null) {
      throw new IllegalArgumentException("already subscribed to " + eventType);
    }
    return topic;
  }

  public java.util.Set<String> subscribedTopics() {
    return java.util.Set.copyOf(handlersByTopic.keySet());
  }

  /** Handles one event record; completes when handled or dead-lettered. */
  public CompletableFuture<Void> handle(ConsumerRecord<byte[], byte[]> record) {
    EventHandler handler = handlersByTopic.get(record.topic());
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (handler == null) {
      done.complete(null);
      return done;
    }
    Headers h = record.headers();
    long time = Records.longHeader(h, BusHeaders.EVENT_TIME, record.timestamp());
    String id = Records.header(h, BusHeaders.EVENT_ID);
    Event event =
        new Event(
            Records.header(h, BusHeaders.EVENT_TYPE),
            id != null ? id : record.topic() + "-" + record.partition() + "@" + record.offset(),
            Records.header(h, BusHeaders.EVENT_SOURCE),
            Instant.ofEpochMilli(time),
            record.value() == null ? new byte[0] : record.value());
    workers.execute(() -> attempt(handler, event, record, 1, done));
    return done;
  }

  private void attempt(
      EventHandler handler,
      Event event,
      ConsumerRecord<byte[], byte[]> record,
      int attempt,
      CompletableFuture<Void> done) {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(handlerLoader);
    try {
      handler.handle(event);
      metrics.eventHandled(record.topic());
      done.complete(null);
      return;
    } catch (Exception | LinkageError e) {
      if (attempt < attempts) {
        long backoff = Math.min(5_000, 200L << (attempt - 1));
        scheduler.schedule(
            () -> workers.execute(() -> attempt(handler, event, record, attempt + 1, done)),
            backoff,
            TimeUnit.MILLISECONDS);
        return;
      }
      deadLetter(record, attempt, e, done, 1);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private void deadLetter(
      ConsumerRecord<byte[], byte[]> record,
      int attempts,
      Throwable reason,
      CompletableFuture<Void> done,
      int sendAttempt) {
    String dlq = topics.deadLetters(identity.plugin());
    ProducerRecord<byte[], byte[]> letter =
        new ProducerRecord<>(dlq, null, record.key(), record.value(), record.headers());
    Headers h = letter.headers();
    Records.put(h, BusHeaders.DEAD_LETTER_REASON, String.valueOf(reason));
    Records.put(h, BusHeaders.DEAD_LETTER_ATTEMPTS, Integer.toString(attempts));
    Records.put(h, BusHeaders.DEAD_LETTER_TOPIC, record.topic());
    Records.put(h, BusHeaders.DEAD_LETTER_PARTITION, Integer.toString(record.partition()));
    Records.put(h, BusHeaders.DEAD_LETTER_OFFSET, Long.toString(record.offset()));
    try {
      producer.send(
          letter,
          (md, e) -> {
            if (e == null) {
              LOG.warnf(
                  "event %s@%d went to %s after %d failed attempts: %s",
                  record.topic(), record.offset(), dlq, attempts, reason);
              metrics.eventDeadLettered(record.topic());
              done.complete(null);
            } else {
              retryDeadLetter(record, attempts, reason, done, sendAttempt, e);
            }
          });
    } catch (RuntimeException e) {
      retryDeadLetter(record, attempts, reason, done, sendAttempt, e);
    }
  }

  private void retryDeadLetter(
      ConsumerRecord<byte[], byte[]> record,
      int attempts,
      Throwable reason,
      CompletableFuture<Void> done,
      int sendAttempt,
      Exception error) {
    // Never drop the event: until the dead letter is stored its offset stays uncommitted, so a
    // restart redelivers it.
    LOG.errorf(
        "cannot store event %s@%d in the dead-letter topic (attempt %d): %s",
        record.topic(), record.offset(), sendAttempt, error);
    scheduler.schedule(
        () -> deadLetter(record, attempts, reason, done, sendAttempt + 1),
        Math.min(30_000, 1_000L * sendAttempt),
        TimeUnit.MILLISECONDS);
  }
}
