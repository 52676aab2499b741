package io.corebus.benchmarks;

import io.corebus.runtime.bus.KafkaSettings;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The floor: Kafka alone, with the bus's producer and consumer settings ({@code acks=all},
 * idempotence, {@code linger.ms=0}; an assigned consumer polling). One-way: produce, then consume
 * on another thread. Round trip: produce to a ping topic, a reflector thread consumes and produces
 * to a pong topic, a third thread consumes that, like a request and its reply without a runtime.
 */
final class RawKafka implements AutoCloseable {
  private final String oneWayTopic;
  private final String pingTopic;
  private final KafkaProducer<byte[], byte[]> producer;
  private final int payloadBytes;
  private final Map<Long, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final List<Poller> pollers = new ArrayList<>();

  RawKafka(String bootstrap, String oneWayTopic, String pingTopic, String pongTopic, int payload) {
    this.oneWayTopic = oneWayTopic;
    this.pingTopic = pingTopic;
    this.payloadBytes = payload;
    this.producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "bench-raw", 0));
    pollers.add(new Poller(bootstrap, oneWayTopic, this::arrived));
    pollers.add(new Poller(bootstrap, pongTopic, this::arrived));
    pollers.add(
        new Poller(
            bootstrap,
            pingTopic,
            r -> producer.send(new ProducerRecord<>(pongTopic, r.key(), r.value()))));
    pollers.forEach(Poller::start);
    pollers.forEach(Poller::awaitPositioned);
  }

  CompletionStage<?> oneWay() {
    return send(oneWayTopic);
  }

  CompletionStage<?> roundTrip() {
    return send(pingTopic);
  }

  private CompletionStage<?> send(String topic) {
    long id = ids.incrementAndGet();
    CompletableFuture<Void> f = new CompletableFuture<>();
    waiting.put(id, f);
    byte[] value = ByteBuffer.allocate(payloadBytes).putLong(id).array();
    producer.send(
        new ProducerRecord<>(topic, null, value),
        (md, e) -> {
          if (e != null) {
            waiting.remove(id);
            f.completeExceptionally(e);
          }
        });
    return f;
  }

  private void arrived(ConsumerRecord<byte[], byte[]> r) {
    CompletableFuture<Void> f = waiting.remove(ByteBuffer.wrap(r.value()).getLong());
    if (f != null) {
      f.complete(null);
    }
  }

  @Override
  public void close() {
    pollers.forEach(Poller::close);
    producer.close(Duration.ofSeconds(5));
  }

  private static final class Poller {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Consumer<ConsumerRecord<byte[], byte[]>> handler;
    private final CountDownLatch positioned = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    Poller(String bootstrap, String topic, Consumer<ConsumerRecord<byte[], byte[]>> handler) {
      this.consumer =
          new KafkaConsumer<>(KafkaSettings.replyConsumer(bootstrap, "bench-raw-" + topic));
      this.topic = topic;
      this.handler = handler;
      this.thread = new Thread(this::run, "bench-raw-" + topic);
      this.thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    void awaitPositioned() {
      try {
        if (!positioned.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("cannot read " + topic);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    private void run() {
      TopicPartition tp = new TopicPartition(topic, 0);
      try {
        consumer.assign(List.of(tp));
        consumer.seekToEnd(List.of(tp));
        consumer.position(tp, Duration.ofSeconds(30));
        positioned.countDown();
        while (running) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            handler.accept(r);
          }
        }
      } catch (WakeupException e) {
        // closing
      } finally {
        consumer.close(Duration.ofSeconds(2));
      }
    }

    void close() {
      running = false;
      consumer.wakeup();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
