package io.corebus.bus.protocol;

import java.nio.charset.StandardCharsets;

/**
 * One record to produce on the route-table topic: {@code new ProducerRecord<>(topic, key, value)}
 * with byte-array serializers. A null value is a tombstone.
 */
public record RouteRecord(String topic, byte[] key, byte[] value) {

  public boolean isTombstone() {
    return value == null;
  }

  /** The service the record is about. */
  public String service() {
    return new String(key, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return topic
        + " "
        + service()
        + " = "
        + (value == null ? "(tombstone)" : new String(value, StandardCharsets.UTF_8));
  }
}
