package io.corebus.operator.security;

import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaAvailability;
import io.corebus.operator.bus.KafkaConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A secured bus for one test class: a SCRAM broker with the standard authorizer, and the operator's
 * side of it as production wires it (a {@link KafkaConnection} as the super user, {@link BusAdmin},
 * {@link KafkaPrincipals}), plus a super-user {@link Admin} to look at what the broker holds.
 *
 * <pre>{@code
 * @RegisterExtension static final SecuredBus kafka = new SecuredBus();
 * }</pre>
 */
final class SecuredBus implements BeforeAllCallback, AfterAllCallback {
  private final KafkaBrokerExtension broker =
      new KafkaBrokerExtension(new KafkaBroker.Options().secured());
  private KafkaConnection connection;
  private BusAdmin bus;
  private KafkaPrincipals principals;
  private Admin superAdmin;

  @Override
  public void beforeAll(ExtensionContext context) {
    broker.beforeAll(context);
    KafkaBroker.Scram su = broker().superUser();
    connection =
        new KafkaConnection(
            Optional.of(bootstrapServers()),
            "SASL_PLAINTEXT",
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.of(KafkaBroker.SCRAM_MECHANISM),
            Optional.empty(),
            Optional.of(su.user()),
            Optional.of(
                new KafkaConnection.Secret(
                    Optional.of(su.password()), Optional.empty(), "corebus.kafka.sasl.password")),
            Duration.ofSeconds(5),
            Duration.ofSeconds(8),
            Map.of());
    bus =
        new BusAdmin(
            () -> connection,
            new KafkaAvailability(
                new SimpleMeterRegistry(),
                Duration.ofMillis(200),
                Duration.ofSeconds(1),
                Clock.systemUTC()));
    // recheck zero: every ensure looks at the broker again
    principals = principals(Duration.ZERO);
    superAdmin = Admin.create(broker().clientProperties());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try (AutoCloseable b = bus;
        AutoCloseable p = principals;
        AutoCloseable a = superAdmin) {
      // closed in reverse order
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      broker.afterAll(context);
    }
  }

  KafkaBroker broker() {
    return broker.broker();
  }

  String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /** The principals every test of the class shares (they look at the broker on every ensure). */
  KafkaPrincipals principals() {
    return principals;
  }

  /** Another principals instance on the same bus (the caller closes it). */
  KafkaPrincipals principals(Duration recheck) {
    return new KafkaPrincipals(bus, connection::producerProperties, recheck, Clock.systemUTC());
  }

  /** The reconciler's view of the secured bus, as the operator runs it against this broker. */
  PluginSecurity security() {
    return new PluginSecurity(principals, "SASL_PLAINTEXT", Optional.empty());
  }

  Admin superAdmin() {
    return superAdmin;
  }

  /** Every ACL of a principal ({@code User:corebus.<ns>.<plugin>}), as the broker has them. */
  Set<AclBinding> aclsOf(String principal) throws Exception {
    return Set.copyOf(
        superAdmin
            .describeAcls(KafkaPrincipals.filter(principal))
            .values()
            .get(10, TimeUnit.SECONDS));
  }

  /** Whether the broker lets this user in with this password. */
  boolean canLogIn(String user, String password) {
    try (Admin a = Admin.create(broker().clientProperties(user, password))) {
      a.describeCluster().nodes().get(10, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  boolean topicExists(String topic) throws Exception {
    return superAdmin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
  }

  /** The keys topic folded: plug-in to its latest key, tombstones removing it. */
  Map<String, String> latestKeys(String topic) {
    Map<String, Object> props = new HashMap<>(broker().clientProperties());
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Map<String, String> keys = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          String k = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            keys.remove(k);
          } else {
            keys.put(k, new String(r.value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return keys;
  }
}
