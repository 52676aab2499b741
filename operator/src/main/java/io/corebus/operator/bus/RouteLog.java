package io.corebus.operator.bus;

import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.ServiceRoute;
import java.util.List;
import java.util.Map;

/** A namespace's route-table topic as {@link RouteTablePublisher} uses it: read whole, append. */
public interface RouteLog {

  /**
   * The table the topic holds now: the last route of every service (tombstoned services absent,
   * malformed records skipped with a warning).
   *
   * @return empty when the topic does not exist
   * @throws KafkaUnavailableException when Kafka cannot be reached (or is known to be down)
   * @throws IllegalStateException when Kafka answered with another error
   */
  Map<String, ServiceRoute> read(String topic) throws KafkaUnavailableException;

  /**
   * Produces the records in order and returns once every one is acknowledged ({@code acks=all}).
   *
   * @throws KafkaUnavailableException when Kafka cannot be reached; some records may be written
   * @throws IllegalStateException when Kafka refused a record; some records may be written
   */
  void append(List<RouteRecord> records) throws KafkaUnavailableException;
}
