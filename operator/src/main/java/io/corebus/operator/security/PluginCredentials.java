package io.corebus.operator.security;

import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PluginPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A plug-in's bus credentials on a secured bus, as Kubernetes objects with no I/O: the Secret
 * {@code <plugin>-kafka} (owned by the Plugin) holding its Kafka user name and password, its call
 * signing key pair and, with TLS, the CA to trust; and how a pod mounts it. The password and keys
 * are generated only when the Secret is missing or incomplete, so a restarted operator keeps them.
 */
public final class PluginCredentials {
  private PluginCredentials() {}

  /** Name of the pod volume carrying the Secret. */
  public static final String VOLUME = "corebus-kafka";

  /** Secret key of the public half of the signing key (published on the keys topic). */
  public static final String PUBLIC_KEY = "signing-public-key";

  /** The SASL mechanism of plug-in principals. */
  public static final String MECHANISM = "SCRAM-SHA-512";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** What the Secret holds. */
  public record Values(String username, String password, String signingKey, String publicKey) {
    @Override
    public String toString() {
      return "Values[username=" + username + ", password=***, keys=***]";
    }
  }

  public static String secretName(Plugin plugin) {
    return plugin.getMetadata().getName() + "-kafka";
  }

  /** New credentials: a 256-bit random password and a new Ed25519 key pair. */
  public static Values generate(Plugin plugin) {
    byte[] pw = new byte[32];
    RANDOM.nextBytes(pw);
    KeyPair keys = CallSignature.generateKeyPair();
    return new Values(
        userName(plugin),
        Base64.getUrlEncoder().withoutPadding().encodeToString(pw),
        CallSignature.encode(keys.getPrivate()),
        CallSignature.encode(keys.getPublic()));
  }

  /**
   * The values of an existing Secret, or empty when it lacks one of them or names another user
   * (then new ones are generated and the Secret is replaced).
   */
  public static Optional<Values> read(Secret secret, Plugin plugin) {
    if (secret == null || secret.getData() == null) {
      return Optional.empty();
    }
    Function<String, String> get =
        k -> {
          String v = secret.getData().get(k);
          return v == null
              ? null
              : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
        };
    Values v =
        new Values(
            get.apply(RuntimeContract.KAFKA_USERNAME_FILE),
            get.apply(RuntimeContract.KAFKA_PASSWORD_FILE),
            get.apply(RuntimeContract.SIGNING_KEY_FILE),
            get.apply(PUBLIC_KEY));
    if (!userName(plugin).equals(v.username())
        || v.password() == null
        || v.password().isBlank()
        || v.signingKey() == null
        || v.publicKey() == null) {
      return Optional.empty();
    }
    try {
      CallSignature.publicKey(v.publicKey());
      CallSignature.privateKey(v.signingKey());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.of(v);
  }

  /** The Secret holding {@code values} (and the CA, when the bus uses TLS). */
  public static Secret secret(Plugin plugin, Values values, Optional<String> caPem) {
    Map<String, String> data = new LinkedHashMap<>();
    data.put(RuntimeContract.KAFKA_USERNAME_FILE, b64(values.username()));
    data.put(RuntimeContract.KAFKA_PASSWORD_FILE, b64(values.password()));
    data.put(RuntimeContract.SIGNING_KEY_FILE, b64(values.signingKey()));
    data.put(PUBLIC_KEY, b64(values.publicKey()));
    caPem.ifPresent(ca -> data.put(RuntimeContract.KAFKA_CA_FILE, b64(ca)));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(secretName(plugin))
        .withNamespace(plugin.getMetadata().getNamespace())
        .withLabels(PluginNames.commonLabels(plugin))
        .withOwnerReferences(PluginPods.ownerReference(plugin))
        .endMetadata()
        .withType("Opaque")
        .withImmutable(false)
        .withData(data)
        .build();
  }

  /**
   * The pod with the Secret mounted read-only at {@link RuntimeContract#KAFKA_CREDENTIALS_PATH} and
   * the runtime told to log in with it and to require signed calls. The password stays in the
   * volume; the environment only says where it is.
   */
  public static Pod mount(Pod pod, Plugin plugin, String securityProtocol) {
    Pod out = new PodBuilder(pod).build();
    out.getSpec()
        .getVolumes()
        .add(
            new VolumeBuilder()
                .withName(VOLUME)
                .withNewSecret()
                .withSecretName(secretName(plugin))
                .withDefaultMode(0440)
                .endSecret()
                .build());
    for (Container c : out.getSpec().getContainers()) {
      if (!RuntimeContract.CONTAINER_NAME.equals(c.getName())) {
        continue;
      }
      c.getVolumeMounts()
          .add(
              new VolumeMountBuilder()
                  .withName(VOLUME)
                  .withMountPath(RuntimeContract.KAFKA_CREDENTIALS_PATH)
                  .withReadOnly(true)
                  .build());
      List<EnvVar> env = c.getEnv();
      env.add(new EnvVar(RuntimeContract.ENV_KAFKA_SECURITY_PROTOCOL, securityProtocol, null));
      env.add(new EnvVar(RuntimeContract.ENV_KAFKA_SASL_MECHANISM, MECHANISM, null));
      env.add(
          new EnvVar(
              RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR,
              RuntimeContract.KAFKA_CREDENTIALS_PATH,
              null));
      env.add(new EnvVar(RuntimeContract.ENV_REQUIRE_SIGNED_CALLS, "true", null));
    }
    return out;
  }

  /** The plug-in's Kafka user name. */
  public static String userName(Plugin plugin) {
    return BusPermissions.userName(topics(plugin), plugin.getMetadata().getName());
  }

  static BusTopics topics(Plugin plugin) {
    return BusTopics.forNamespace(plugin.getMetadata().getNamespace());
  }

  /** The Plugin as far as its permissions go. */
  public static BusPermissions.Member member(Plugin plugin) {
    PluginSpec spec = plugin.getSpec();
    Map<String, List<String>> provides = new LinkedHashMap<>();
    if (spec != null && spec.getProvides() != null) {
      for (ProvidedService p : spec.getProvides()) {
        if (p.getService() != null) {
          provides.put(p.getService(), list(p.getAllowedCallers()));
        }
      }
    }
    return new BusPermissions.Member(
        plugin.getMetadata().getName(),
        provides,
        set(spec == null ? null : spec.getPublishes()),
        set(spec == null ? null : spec.getSubscribes()));
  }

  private static List<String> list(List<String> values) {
    return values == null ? List.of() : List.copyOf(values);
  }

  private static Set<String> set(List<String> values) {
    return values == null ? Set.of() : values.stream().collect(Collectors.toUnmodifiableSet());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
