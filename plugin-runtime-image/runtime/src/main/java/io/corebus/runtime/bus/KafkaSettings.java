package io.corebus.runtime.bus;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka client settings of the bus: durability and latency choices made explicit in one place. */
public final class KafkaSettings {
  private KafkaSettings() {}

  /**
   * The bus producer: acks=all with idempotence, so an acknowledged request, reply or event
   * survives a broker failure and a retried send is not duplicated; linger 0 by default because RPC
   * latency matters more than batching.
   */
  public static Map<String, Object> producer(String bootstrap, String clientId, int lingerMs) {
    Map<String, Object> p = new HashMap<>();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
    // Fail a send to a missing topic quickly instead of blocking a caller for a minute.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return p;
  }

  /**
   * A consumer in a plug-in's group (requests or events): offsets committed by the runtime after
   * processing, never automatically; cooperative rebalancing so a scale-out does not stop every
   * replica; a new group starts at the earliest record so nothing sent before it joined is lost.
   */
  public static Map<String, Object> groupConsumer(
      String bootstrap, String groupId, String clientId, int maxPollRecords) {
    return groupConsumer(bootstrap, groupId, clientId, maxPollRecords, DEFAULT_SESSION_TIMEOUT);
  }

  /** Kafka's default is 45 s: a replica killed outright would stall its partitions that long. */
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

  /**
   * A group consumer whose member is declared dead after {@code sessionTimeout} without heartbeats
   * (a replica killed outright: its partitions move to the others after that long; a replica that
   * stops cleanly leaves the group at once). The broker bounds it (group.min.session.timeout.ms, 6
   * s by default).
   */
  public static Map<String, Object> groupConsumer(
      String bootstrap,
      String groupId,
      String clientId,
      int maxPollRecords,
      Duration sessionTimeout) {
    Map<String, Object> c = consumer(bootstrap, clientId);
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
    c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, heartbeatInterval(sessionTimeout));
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return c;
  }

  /**
   * How often a group member heartbeats, which is also how late it learns that the group rebalances
   * (the classic group protocol tells members only in heartbeat responses). When a replica stops,
   * its partitions have no consumer from the moment it leaves the group until the others rejoin:
   * with a heartbeat every 2.5 s (a quarter of the session), requests sent there in that time
   * waited up to 2.5 s more and missed 2 s deadlines. A quarter of a second keeps that gap well
   * under any sensible deadline, for about four small requests a second per member.
   */
  public static final Duration REBALANCE_NOTICE = Duration.ofMillis(250);

  static int heartbeatInterval(Duration sessionTimeout) {
    // below a third of the session, so a few lost heartbeats do not expel a live member
    return (int) Math.min(REBALANCE_NOTICE.toMillis(), sessionTimeout.toMillis() / 3);
  }

  /** The reply-slot consumer: assigned its partition, no group, no commits. */
  public static Map<String, Object> replyConsumer(String bootstrap, String clientId) {
    Map<String, Object> c = consumer(bootstrap, clientId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    return c;
  }

  /**
   * The route-table follower: assigned every partition, reads from the beginning, no group, no
   * commits; committed records only, in case the operator writes routes in transactions.
   */
  public static Map<String, Object> routeConsumer(String bootstrap, String clientId) {
    Map<String, Object> c = consumer(bootstrap, clientId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return c;
  }

  /** What every consumer of the bus shares: raw bytes, and offsets committed by hand or never. */
  private static Map<String, Object> consumer(String bootstrap, String clientId) {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return c;
  }

  public static Map<String, Object> admin(String bootstrap, String clientId) {
    Map<String, Object> a = new HashMap<>();
    a.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    a.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    a.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    a.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    return a;
  }
}
