package io.corebus.operator.bus;

import io.corebus.bus.protocol.MalformedRouteException;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.ServiceRoute;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The route-table topics in Kafka. Writes go through one idempotent {@code acks=all} producer
 * ({@link KafkaConnection#producerProperties()}), built when first needed and built again after a
 * failed write or a changed connection; a read uses a short-lived consumer that assigns every
 * partition, reads from the beginning to the end offsets and closes. Both honour the shared {@link
 * KafkaAvailability}: while Kafka is known to be down they fail at once, and an outage they meet
 * counts like one the Admin client met.
 */
public final class KafkaRouteLog implements RouteLog, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KafkaRouteLog.class);

  private final Supplier<KafkaConnection> connection;
  private final KafkaAvailability availability;
  private Producer<byte[], byte[]> producer;
  private KafkaConnection built;

  public KafkaRouteLog(Supplier<KafkaConnection> connection, KafkaAvailability availability) {
    this.connection = connection;
    this.availability = availability;
  }

  @Override
  public Map<String, ServiceRoute> read(String topic) throws KafkaUnavailableException {
    gate();
    KafkaConnection c = connection.get();
    try (Consumer<byte[], byte[]> consumer = new KafkaConsumer<>(c.consumerProperties())) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, c.apiTimeout());
      Map<String, ServiceRoute> table = new TreeMap<>();
      if (infos == null || infos.isEmpty()) {
        availability.succeeded();
        return table;
      }
      List<TopicPartition> partitions =
          infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, c.apiTimeout());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + c.apiTimeout().toNanos();
      while (!caughtUp(consumer, end, c.apiTimeout())) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(
              "route table " + topic + " not read to its end within " + c.apiTimeout());
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(table, r);
        }
      }
      availability.succeeded();
      return table;
    } catch (KafkaException e) {
      throw failure("read-routes", e);
    }
  }

  private static boolean caughtUp(
      Consumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end, Duration timeout) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey(), timeout) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Last record of a key wins; a malformed one is skipped and the previous route kept. */
  private static void apply(Map<String, ServiceRoute> table, ConsumerRecord<byte[], byte[]> r) {
    try {
      RouteCodec.decode(r.key(), r.value())
          .ifPresentOrElse(
              route -> table.put(route.service(), route),
              () -> table.remove(new String(r.key(), StandardCharsets.UTF_8)));
    } catch (MalformedRouteException e) {
      LOG.warnf(
          "skipping a malformed record in %s at partition %d offset %d: %s",
          r.topic(), r.partition(), r.offset(), e.getMessage());
    }
  }

  @Override
  public void append(List<RouteRecord> records) throws KafkaUnavailableException {
    if (records.isEmpty()) {
      return;
    }
    gate();
    Producer<byte[], byte[]> p;
    try {
      p = producer();
    } catch (KafkaException | IllegalStateException e) {
      throw failure("publish-routes", e);
    }
    long waitMs = connection.get().apiTimeout().toMillis() + 2_000;
    try {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (RouteRecord r : records) {
        sent.add(p.send(new ProducerRecord<>(r.topic(), r.key(), r.value())));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get(waitMs, TimeUnit.MILLISECONDS);
      }
      availability.succeeded();
    } catch (ExecutionException e) {
      discard(p);
      throw failure("publish-routes", e.getCause() == null ? e : e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      discard(p);
      throw failure(
          "publish-routes", new TimeoutException("no acknowledgement within " + waitMs + " ms"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      discard(p);
      throw new KafkaUnavailableException(
          "interrupted while publishing routes", Duration.ofSeconds(1));
    } catch (KafkaException e) {
      discard(p);
      throw failure("publish-routes", e);
    }
  }

  /** Fails at once while Kafka is known to be down (the Admin client's back-off applies). */
  private void gate() throws KafkaUnavailableException {
    var wait = availability.reserveAttempt();
    if (wait.isPresent()) {
      throw new KafkaUnavailableException(availability.lastError(), wait.get());
    }
  }

  /**
   * An outage (connection, timeout, credentials) as {@link KafkaUnavailableException}; anything
   * else Kafka said as an {@link IllegalStateException} naming the operation.
   */
  private KafkaUnavailableException failure(String operation, Throwable cause) {
    String what = operation + " at " + connection.get().describe();
    if (BusAdmin.isUnavailability(cause)) {
      String error = "cannot reach Kafka (" + what + "): " + BusAdmin.message(cause);
      Duration backoff = availability.failed(operation, error);
      return new KafkaUnavailableException(error, backoff);
    }
    availability.topicError(operation);
    throw new IllegalStateException(what + " failed: " + BusAdmin.message(cause), cause);
  }

  private synchronized Producer<byte[], byte[]> producer() {
    KafkaConnection current = connection.get();
    if (producer != null && current.equals(built)) {
      return producer;
    }
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
    producer = null;
    producer = new KafkaProducer<>(current.producerProperties());
    built = current;
    return producer;
  }

  /** Drops a producer whose write failed: the next write starts with a fresh one. */
  private synchronized void discard(Producer<byte[], byte[]> failed) {
    if (producer == failed) {
      producer.close(Duration.ZERO);
      producer = null;
      built = null;
    }
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(2));
      producer = null;
    }
  }
}
