package io.corebus.bus.protocol;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Builds the records the operator produces on the route-table topic; the operator does the
 * producing (with the bus's producer settings: {@code acks=all}, idempotence, byte-array
 * serializers), and creates the topic with {@link #PARTITIONS} partition and {@link
 * #topicConfigs()}. No I/O here.
 *
 * <pre>{@code
 * RouteTableWriter routes = new RouteTableWriter(BusTopics.forNamespace("shop"));
 * for (RouteRecord r : routes.changes(published, desired)) {
 *   producer.send(new ProducerRecord<>(r.topic(), r.key(), r.value())).get();
 * }
 * }</pre>
 *
 * <p>Each record holds a service's whole route, so the last record of a key is the route (the topic
 * is compacted), and publishing the same desired routes again is harmless: a restarted operator may
 * republish everything.
 */
public final class RouteTableWriter {
  /**
   * Partitions of the route-table topic. One keeps every update in one order; readers read every
   * partition anyway, so more would work.
   */
  public static final int PARTITIONS = 1;

  private final String topic;

  public RouteTableWriter(BusTopics topics) {
    this.topic = topics.routes();
  }

  public String topic() {
    return topic;
  }

  /**
   * Configuration of the route-table topic: compacted (the last route of each service is kept
   * forever), tombstones kept a day so that a reader far behind still sees a removal, and segments
   * rolled hourly so compaction can run.
   */
  public static Map<String, String> topicConfigs() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("cleanup.policy", "compact");
    c.put("delete.retention.ms", Long.toString(24 * 3600 * 1000L));
    c.put("segment.ms", Long.toString(3600 * 1000L));
    c.put("min.cleanable.dirty.ratio", "0.1");
    return c;
  }

  /** The record that sets a service's route (validated when the route was built). */
  public RouteRecord put(ServiceRoute route) {
    Objects.requireNonNull(route, "route");
    return new RouteRecord(topic, RouteCodec.key(route.service()), RouteCodec.value(route));
  }

  /** The tombstone that removes a service's route: callers get NOT_FOUND from then on. */
  public RouteRecord remove(String service) {
    Objects.requireNonNull(service, "service");
    return new RouteRecord(topic, RouteCodec.key(service), null);
  }

  /**
   * The records that turn the {@code published} table into the {@code desired} one: a put for every
   * new or changed route, a tombstone for every service no longer desired; nothing for unchanged
   * routes. In service-name order, so the output is stable.
   *
   * @param published what the topic holds now (by service), or an empty map to republish all
   * @throws IllegalArgumentException when {@code desired} names a service twice
   */
  public List<RouteRecord> changes(
      Map<String, ServiceRoute> published, Collection<ServiceRoute> desired) {
    Map<String, ServiceRoute> want = new TreeMap<>();
    for (ServiceRoute r : desired) {
      if (want.put(r.service(), r) != null) {
        throw new IllegalArgumentException("two routes for service " + r.service());
      }
    }
    List<RouteRecord> out = new ArrayList<>();
    want.forEach(
        (service, route) -> {
          if (!route.equals(published.get(service))) {
            out.add(put(route));
          }
        });
    new TreeMap<>(published)
        .keySet()
        .forEach(
            service -> {
              if (!want.containsKey(service)) {
                out.add(remove(service));
              }
            });
    return out;
  }
}
