package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.RouteTableWriter;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Does for tests what the operator does: creates the route table topic and publishes routes. */
public final class RoutePublisher implements AutoCloseable {
  private final RouteTableWriter writer;
  private final KafkaProducer<byte[], byte[]> producer;

  /** Creates the routes topic via {@code createTopic} (name, partitions) and connects. */
  public RoutePublisher(
      String bootstrap, BusTopics topics, java.util.function.BiConsumer<String, Integer> creator) {
    this.writer = new RouteTableWriter(topics);
    creator.accept(writer.topic(), RouteTableWriter.PARTITIONS);
    this.producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "it-operator", 0));
  }

  /** A bus route with one version taking every call on {@code topic}. */
  public static ServiceRoute busRoute(String service, String plugin, String topic) {
    return new ServiceRoute(
        service,
        ServiceRoute.Transport.BUS,
        List.of(),
        List.of(VersionRoute.bus(plugin, "1.0.0", "r1", 100, topic)));
  }

  public void publish(ServiceRoute route) {
    send(writer.put(route));
  }

  public void remove(String service) {
    send(writer.remove(service));
  }

  /** A record as a buggy or hostile writer might produce it. */
  public void publishRaw(String service, String value) {
    send(
        new RouteRecord(
            writer.topic(),
            service.getBytes(StandardCharsets.UTF_8),
            value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
  }

  private void send(RouteRecord r) {
    try {
      producer.send(new ProducerRecord<>(r.topic(), r.key(), r.value())).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot publish " + r, e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
