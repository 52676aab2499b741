package io.corebus.operator.security;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.jboss.logging.Logger;

/**
 * {@link PluginPrincipals} with the Kafka Admin client (the operator's principal must be a super
 * user, or hold ALTER on the cluster and ALL on the {@code corebus.} topics and groups).
 *
 * <p>{@link #ensure}: upserts the SCRAM-SHA-512 credential, reconciles the principal's ACLs to
 * exactly {@link BusPermissions#of} (adds what is missing, deletes what is extra, whatever added
 * it), and publishes the public key on the namespace's compacted keys topic (created when missing).
 * What was done is remembered per plug-in: while credentials and permissions stay the same, the
 * broker is asked again only every {@code recheck} (an ACL deleted behind the operator's back comes
 * back then). After a restart everything is done once more, which is harmless.
 *
 * <p>{@link #release}: deletes the ACLs and the credential and withdraws the key (a tombstone);
 * with the namespace's last Plugin the keys topic itself is deleted instead. A Plugin created while
 * the last one goes may have published its key on the topic just deleted: the deletion makes every
 * ensure in flight not count and forgets what was done in the namespace, so the next reconcile of
 * that Plugin (its peer's deletion wakes it) creates the topic and publishes the key again.
 */
public final class KafkaPrincipals implements PluginPrincipals, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KafkaPrincipals.class);

  /** PBKDF2 iterations of the SCRAM credential (Kafka's minimum is 4096). */
  static final int ITERATIONS = 8192;

  private record Applied(String fingerprint, Instant at) {}

  private final BusAdmin bus;
  private final Supplier<Map<String, Object>> producerProperties;
  private final Duration recheck;
  private final Clock clock;
  private final Map<String, Applied> applied = new ConcurrentHashMap<>();
  private final Set<String> keyTopics = ConcurrentHashMap.newKeySet();

  /** Raised by every deletion of a keys topic; guards what {@link #ensure} remembers. */
  private long keyTopicDeletions;

  private Producer<byte[], byte[]> producer;

  public KafkaPrincipals(
      BusAdmin bus,
      Supplier<Map<String, Object>> producerProperties,
      Duration recheck,
      Clock clock) {
    this.bus = bus;
    this.producerProperties = producerProperties;
    this.recheck = recheck;
    this.clock = clock;
  }

  @Override
  public void ensure(
      Plugin plugin, PluginCredentials.Values credentials, List<Plugin> namespacePlugins)
      throws KafkaUnavailableException {
    BusTopics topics = PluginCredentials.topics(plugin);
    List<BusPermissions.Member> members = new ArrayList<>();
    boolean self = false;
    for (Plugin p : namespacePlugins) {
      if (p.getMetadata().getDeletionTimestamp() != null) {
        continue; // a plug-in on its way out admits nobody any more
      }
      self |= p.getMetadata().getName().equals(plugin.getMetadata().getName());
      members.add(PluginCredentials.member(p));
    }
    if (!self) {
      members.add(PluginCredentials.member(plugin));
    }
    Set<AclBinding> desired =
        bindings(BusPermissions.of(topics, PluginCredentials.member(plugin), members));
    String key = key(plugin);
    String fingerprint =
        sha256(
            credentials.password()
                + "\n"
                + credentials.publicKey()
                + "\n"
                + desired.stream().map(AclBinding::toString).sorted().toList());
    Applied last = applied.get(key);
    if (last != null
        && last.fingerprint().equals(fingerprint)
        && last.at().plus(recheck).isAfter(clock.instant())) {
      return;
    }
    String principal = BusPermissions.principal(topics, plugin.getMetadata().getName());
    long deletionsBefore = keyTopicDeletions();
    bus.call(
        "ensure-principal",
        admin -> {
          bus.await(
              admin
                  .alterUserScramCredentials(
                      List.of(
                          new UserScramCredentialUpsertion(
                              credentials.username(),
                              new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS),
                              credentials.password())))
                  .all());
          reconcileAcls(admin, principal, desired);
          ensureKeysTopic(admin, topics.keys(), deletionsBefore);
          return null;
        });
    try {
      publishKey(topics.keys(), plugin.getMetadata().getName(), credentials.publicKey());
    } catch (KafkaUnavailableException e) {
      keyTopics.remove(topics.keys()); // deleted behind our back? look again next time
      throw e;
    }
    synchronized (this) {
      // A keys topic deleted meanwhile may have taken the key with it: do it all next time.
      if (keyTopicDeletions == deletionsBefore) {
        applied.put(key, new Applied(fingerprint, clock.instant()));
      }
    }
  }

  @Override
  public void release(Plugin plugin, boolean lastInNamespace) throws KafkaUnavailableException {
    BusTopics topics = PluginCredentials.topics(plugin);
    String principal = BusPermissions.principal(topics, plugin.getMetadata().getName());
    String user = PluginCredentials.userName(plugin);
    boolean keysExist =
        bus.call(
            "release-principal",
            admin -> {
              bus.await(admin.deleteAcls(List.of(filter(principal))).all());
              try {
                bus.await(
                    admin
                        .alterUserScramCredentials(
                            List.of(
                                new UserScramCredentialDeletion(
                                    user, ScramMechanism.SCRAM_SHA_512)))
                        .all());
              } catch (ExecutionException e) {
                if (!(e.getCause() instanceof ResourceNotFoundException)) {
                  throw e;
                }
              }
              if (lastInNamespace) {
                deleteKeysTopic(admin, plugin.getMetadata().getNamespace(), topics.keys());
                return false;
              }
              // Also after a restart (nothing remembered): withdraw the key if the topic is there.
              return keyTopics.contains(topics.keys())
                  || bus.await(admin.listTopics().names()).contains(topics.keys());
            });
    if (keysExist) {
      publishKey(topics.keys(), plugin.getMetadata().getName(), null);
    }
    applied.remove(key(plugin));
    LOG.infof(
        "%s: removed Kafka user %s and its ACLs%s",
        key(plugin), user, lastInNamespace ? ", and the keys topic " + topics.keys() : "");
  }

  /** Deletes the namespace's keys topic (gone already is fine) and forgets the namespace. */
  private void deleteKeysTopic(Admin admin, String namespace, String topic)
      throws ExecutionException, InterruptedException {
    try {
      bus.await(admin.deleteTopics(List.of(topic)).all());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
        throw e;
      }
    } finally {
      // After the deletion: an ensure that overlapped it in any way is not remembered.
      synchronized (this) {
        keyTopicDeletions++;
        keyTopics.remove(topic);
        applied.keySet().removeIf(k -> k.startsWith(namespace + "/"));
      }
    }
  }

  private synchronized long keyTopicDeletions() {
    return keyTopicDeletions;
  }

  private void reconcileAcls(Admin admin, String principal, Set<AclBinding> desired)
      throws ExecutionException, InterruptedException {
    Collection<AclBinding> current = bus.await(admin.describeAcls(filter(principal)).values());
    List<AclBinding> missing = desired.stream().filter(b -> !current.contains(b)).toList();
    List<AclBindingFilter> extra =
        current.stream().filter(b -> !desired.contains(b)).map(AclBinding::toFilter).toList();
    if (!missing.isEmpty()) {
      bus.await(admin.createAcls(missing).all());
    }
    if (!extra.isEmpty()) {
      bus.await(admin.deleteAcls(extra).all());
    }
    if (!missing.isEmpty() || !extra.isEmpty()) {
      LOG.infof(
          "%s: ACLs +%d -%d, now %d", principal, missing.size(), extra.size(), desired.size());
    }
  }

  private void ensureKeysTopic(Admin admin, String topic, long deletionsBefore)
      throws ExecutionException, InterruptedException {
    if (keyTopics.contains(topic)) {
      return;
    }
    try {
      bus.await(
          admin
              .createTopics(
                  List.of(
                      new NewTopic(topic, Optional.of(1), Optional.empty())
                          .configs(
                              Map.of(
                                  TopicConfig.CLEANUP_POLICY_CONFIG,
                                  TopicConfig.CLEANUP_POLICY_COMPACT))))
              .all());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
    synchronized (this) {
      if (keyTopicDeletions == deletionsBefore) {
        keyTopics.add(topic);
      }
    }
  }

  private void publishKey(String topic, String plugin, String publicKey)
      throws KafkaUnavailableException {
    try {
      producer()
          .send(
              new ProducerRecord<>(
                  topic,
                  plugin.getBytes(StandardCharsets.UTF_8),
                  publicKey == null ? null : publicKey.getBytes(StandardCharsets.UTF_8)))
          .get(bus.connection().apiTimeout().toMillis() + 2_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaUnavailableException("interrupted", Duration.ofSeconds(1));
    } catch (ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
      discardProducer();
      throw new KafkaUnavailableException(
          "cannot publish the key of " + plugin + " on " + topic + ": " + e, Duration.ofSeconds(5));
    }
  }

  private synchronized Producer<byte[], byte[]> producer() {
    if (producer == null) {
      producer = new KafkaProducer<>(producerProperties.get());
    }
    return producer;
  }

  private synchronized void discardProducer() {
    if (producer != null) {
      producer.close(Duration.ZERO);
      producer = null;
    }
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(2));
      producer = null;
    }
  }

  /** Every ACL of one principal. */
  static AclBindingFilter filter(String principal) {
    return new AclBindingFilter(
        ResourcePatternFilter.ANY,
        new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
  }

  /** The grants as Kafka ACLs: ALLOW from any host. */
  public static Set<AclBinding> bindings(Collection<BusPermissions.Grant> grants) {
    Set<AclBinding> out = new HashSet<>();
    for (BusPermissions.Grant g : grants) {
      out.add(
          new AclBinding(
              new ResourcePattern(
                  ResourceType.valueOf(g.resourceType().name()),
                  g.name(),
                  PatternType.valueOf(g.patternType().name())),
              new AccessControlEntry(
                  g.principal(),
                  "*",
                  AclOperation.valueOf(g.operation().name()),
                  AclPermissionType.ALLOW)));
    }
    return out;
  }

  private static String key(Plugin plugin) {
    return plugin.getMetadata().getNamespace() + "/" + plugin.getMetadata().getName();
  }

  /** Hex SHA-256 of the text's UTF-8 bytes. */
  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
