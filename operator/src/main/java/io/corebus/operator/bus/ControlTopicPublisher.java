package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.ControlCodec;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.RouteRecord;
import java.util.List;

/**
 * Writes control records through a {@link RouteLog} (the operator's idempotent {@code acks=all}
 * producer for compacted bus tables; the record is a plain key and value, so the route table's
 * writer serves the control topic too).
 */
public final class ControlTopicPublisher implements PluginControl, AutoCloseable {
  private final RouteLog log;

  public ControlTopicPublisher(RouteLog log) {
    this.log = log;
  }

  @Override
  public void publish(String namespace, DesiredArtifact desired) {
    append(
        new RouteRecord(
            BusTopics.forNamespace(namespace).control(),
            ControlCodec.key(desired.plugin()),
            ControlCodec.value(desired)));
  }

  @Override
  public void withdraw(String namespace, String plugin) {
    append(
        new RouteRecord(
            BusTopics.forNamespace(namespace).control(), ControlCodec.key(plugin), null));
  }

  private void append(RouteRecord record) {
    try {
      log.append(List.of(record));
    } catch (KafkaUnavailableException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() throws Exception {
    if (log instanceof AutoCloseable c) {
      c.close();
    }
  }
}
