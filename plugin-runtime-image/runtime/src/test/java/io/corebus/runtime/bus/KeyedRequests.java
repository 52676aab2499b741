package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.BusTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * Sends requests with an idempotency key the test chooses, as a caller's retry does (same key, new
 * correlation id), and waits for the reply in its own reply slot.
 */
public final class KeyedRequests implements AutoCloseable {
  /** A reply as it came back: the gRPC status code, its message and the response bytes. */
  public record Answer(int code, String message, byte[] body) {}

  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ReplySlot slot;

  public KeyedRequests(String bootstrap, BusTopics topics, String instance) throws Exception {
    admin = Admin.create(KafkaSettings.admin(bootstrap, instance + "-admin"));
    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, instance, 0));
    String slotTopic = topics.replies("it-keyed", instance);
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    slot = new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, instance + "-reply"));
    slot.start();
  }

  public boolean ready() {
    return slot.ready();
  }

  /** Sends one attempt of the call {@code idempotencyKey} and returns its reply. */
  public Answer call(
      String topic, String fullMethod, String idempotencyKey, byte[] request, Duration timeout)
      throws Exception {
    String correlationId = UUID.randomUUID().toString();
    var reply = slot.expect(correlationId);
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, idempotencyKey.getBytes(StandardCharsets.UTF_8), request);
    Headers h = record.headers();
    Records.put(h, BusHeaders.PROTOCOL, BusHeaders.PROTOCOL_VERSION);
    Records.put(h, BusHeaders.CORRELATION_ID, correlationId);
    Records.put(h, BusHeaders.IDEMPOTENCY_KEY, idempotencyKey);
    Records.put(h, BusHeaders.METHOD, fullMethod);
    Records.put(
        h, BusHeaders.DEADLINE, Long.toString(System.currentTimeMillis() + timeout.toMillis()));
    Records.put(h, BusHeaders.CALLER, "it-keyed");
    Records.put(h, BusHeaders.REPLY_TO, slot.topic());
    Records.put(h, BusHeaders.REPLY_PARTITION, Integer.toString(slot.partition()));
    producer.send(record).get(30, TimeUnit.SECONDS);
    try {
      Reply r = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Answer(r.code(), r.message(), r.body());
    } finally {
      slot.forget(correlationId);
    }
  }

  @Override
  public void close() {
    slot.close();
    producer.close();
    admin.close();
  }
}
