package io.corebus.operator.bus;

import io.corebus.operator.config.CorebusConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * How the operator reaches Kafka ({@code corebus.kafka.*}), as plain values: bootstrap servers,
 * security protocol, TLS stores, SASL credentials, timeouts. {@link #adminProperties} turns them
 * into Admin client properties ({@link #producerProperties} and {@link #consumerProperties}: the
 * route table's producer and reader); secrets given as files are read there, so a rebuilt client
 * picks up a rotated file. The constructor rejects combinations that cannot work, naming the keys
 * to fix.
 */
public record KafkaConnection(
    Optional<String> bootstrapServers,
    String securityProtocol,
    Optional<Store> truststore,
    Optional<Store> keystore,
    Optional<String> keyPassword,
    boolean hostnameVerification,
    Optional<String> saslMechanism,
    Optional<Secret> saslJaasConfig,
    Optional<String> saslUsername,
    Optional<Secret> saslPassword,
    Duration requestTimeout,
    Duration apiTimeout,
    Map<String, String> properties) {

  public static final String CLIENT_ID = "corebus-operator";

  private static final Set<String> PROTOCOLS =
      Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final String PLAIN_LOGIN =
      "org.apache.kafka.common.security.plain.PlainLoginModule";
  private static final String SCRAM_LOGIN =
      "org.apache.kafka.common.security.scram.ScramLoginModule";

  /** A TLS store: its file, type and password (inline or from a file). */
  public record Store(Path location, String type, Optional<Secret> password) {}

  /**
   * A secret given inline or as a file that is read each time it is used.
   *
   * @param what the configuration key, for error messages
   */
  public record Secret(Optional<String> value, Optional<Path> file, String what) {
    public Secret {
      if (value.isPresent() && file.isPresent()) {
        throw new IllegalArgumentException("set " + what + " or " + what + "-file, not both");
      }
    }

    /** Present when either the value or the file is set. */
    public static Optional<Secret> of(Optional<String> value, Optional<Path> file, String what) {
      return value.isEmpty() && file.isEmpty()
          ? Optional.empty()
          : Optional.of(new Secret(value, file, what));
    }

    /** The value, or the file's content without its trailing line break. */
    public String read() {
      if (value.isPresent()) {
        return value.get();
      }
      try {
        return Files.readString(file.orElseThrow(), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalStateException(
            "cannot read " + what + "-file " + file.orElseThrow() + ": " + e, e);
      }
    }
  }

  public KafkaConnection {
    bootstrapServers = bootstrapServers.map(String::strip).filter(s -> !s.isEmpty());
    securityProtocol = securityProtocol.strip().toUpperCase(Locale.ROOT);
    properties = Map.copyOf(properties);
    if (!PROTOCOLS.contains(securityProtocol)) {
      throw new IllegalArgumentException(
          "corebus.kafka.security-protocol is '"
              + securityProtocol
              + "'; use one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
    }
    boolean tls = securityProtocol.endsWith("SSL");
    boolean sasl = securityProtocol.startsWith("SASL_");
    if (!tls && (truststore.isPresent() || keystore.isPresent())) {
      throw new IllegalArgumentException(
          "corebus.kafka.tls.* stores are set but corebus.kafka.security-protocol is "
              + securityProtocol
              + "; use SSL or SASL_SSL");
    }
    boolean saslSet =
        saslMechanism.isPresent()
            || saslJaasConfig.isPresent()
            || saslUsername.isPresent()
            || saslPassword.isPresent();
    if (!sasl && saslSet) {
      throw new IllegalArgumentException(
          "corebus.kafka.sasl.* is set but corebus.kafka.security-protocol is "
              + securityProtocol
              + "; use SASL_PLAINTEXT or SASL_SSL");
    }
    if (sasl) {
      if (saslJaasConfig.isPresent() && (saslUsername.isPresent() || saslPassword.isPresent())) {
        throw new IllegalArgumentException(
            "set corebus.kafka.sasl.jaas-config or corebus.kafka.sasl.username/password, not both");
      }
      if (saslJaasConfig.isEmpty() && (saslUsername.isEmpty() || saslPassword.isEmpty())) {
        throw new IllegalArgumentException(
            "security protocol "
                + securityProtocol
                + " needs corebus.kafka.sasl.jaas-config(-file), or corebus.kafka.sasl.username"
                + " with corebus.kafka.sasl.password(-file)");
      }
      if (saslUsername.isPresent() && loginModule(saslMechanism.orElse("PLAIN")) == null) {
        throw new IllegalArgumentException(
            "corebus.kafka.sasl.username works with mechanisms PLAIN, SCRAM-SHA-256 and"
                + " SCRAM-SHA-512; for "
                + saslMechanism.get()
                + " set corebus.kafka.sasl.jaas-config");
      }
    }
    if (requestTimeout.isNegative()
        || requestTimeout.isZero()
        || apiTimeout.compareTo(requestTimeout) < 0) {
      throw new IllegalArgumentException(
          "corebus.kafka.api-timeout ("
              + apiTimeout
              + ") must be at least corebus.kafka.request-timeout ("
              + requestTimeout
              + "), which must be positive");
    }
  }

  /** Plaintext to the given servers with the default timeouts: tests and tools. */
  public static KafkaConnection plaintext(String bootstrapServers) {
    return new KafkaConnection(
        Optional.ofNullable(bootstrapServers),
        "PLAINTEXT",
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        true,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Duration.ofSeconds(5),
        Duration.ofSeconds(8),
        Map.of());
  }

  /** The same connection with other Admin timeouts. */
  public KafkaConnection withTimeouts(Duration request, Duration api) {
    return new KafkaConnection(
        bootstrapServers,
        securityProtocol,
        truststore,
        keystore,
        keyPassword,
        hostnameVerification,
        saslMechanism,
        saslJaasConfig,
        saslUsername,
        saslPassword,
        request,
        api,
        properties);
  }

  public static KafkaConnection from(CorebusConfig.Kafka kafka) {
    CorebusConfig.Tls tls = kafka.tls();
    CorebusConfig.Sasl sasl = kafka.sasl();
    return new KafkaConnection(
        kafka.bootstrapServers(),
        kafka.securityProtocol(),
        store(tls.truststore(), "corebus.kafka.tls.truststore"),
        store(tls.keystore(), "corebus.kafka.tls.keystore"),
        tls.keyPassword(),
        tls.hostnameVerification(),
        sasl.mechanism(),
        Secret.of(sasl.jaasConfig(), sasl.jaasConfigFile(), "corebus.kafka.sasl.jaas-config"),
        sasl.username(),
        Secret.of(sasl.password(), sasl.passwordFile(), "corebus.kafka.sasl.password"),
        kafka.requestTimeout(),
        kafka.apiTimeout(),
        kafka.properties());
  }

  private static Optional<Store> store(CorebusConfig.Store store, String key) {
    Optional<Secret> password =
        Secret.of(store.password(), store.passwordFile(), key + ".password");
    if (store.location().isEmpty()) {
      if (password.isPresent()) {
        throw new IllegalArgumentException(key + ".password is set without " + key + ".location");
      }
      return Optional.empty();
    }
    return Optional.of(new Store(store.location().get(), store.type(), password));
  }

  /**
   * Admin client properties. Reads secret files.
   *
   * @throws IllegalStateException when there are no bootstrap servers or a secret file is
   *     unreadable
   */
  public Map<String, Object> adminProperties() {
    Map<String, Object> p = common(CLIENT_ID);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) apiTimeout.toMillis());
    p.putAll(properties);
    return p;
  }

  /**
   * Properties of the producer that writes the route table: the bus's durability settings ({@code
   * acks=all}, idempotence, at most 5 requests in flight, no linger, byte arrays), and a send that
   * gives up within the API timeout (metadata wait and delivery alike).
   */
  public Map<String, Object> producerProperties() {
    Map<String, Object> p = common(CLIENT_ID + "-routes");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    // delivery.timeout.ms must be at least linger.ms + request.timeout.ms: api >= request holds.
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) apiTimeout.toMillis());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, apiTimeout.toMillis());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.putAll(properties);
    return p;
  }

  /**
   * Properties of the consumer that reads the route table once (no group, nothing committed,
   * partitions assigned by hand).
   */
  public Map<String, Object> consumerProperties() {
    Map<String, Object> p = common(CLIENT_ID + "-routes-reader");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) apiTimeout.toMillis());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.putAll(properties);
    return p;
  }

  /** Bootstrap, client id, security and connection settings every client shares. */
  private Map<String, Object> common(String clientId) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(
        CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers.orElseThrow(
            () ->
                new IllegalStateException(
                    "no Kafka bootstrap servers (set corebus.kafka.bootstrap-servers)")));
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
    // An unreachable broker should fail a call within the request timeout, not after 30 s.
    long connect = Math.min(requestTimeout.toMillis(), 10_000);
    p.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, connect);
    p.put(CommonClientConfigs.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, connect);
    truststore.ifPresent(
        s -> {
          p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, s.location().toString());
          p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, s.type());
          s.password().ifPresent(pw -> p.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, pw.read()));
        });
    keystore.ifPresent(
        s -> {
          p.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, s.location().toString());
          p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, s.type());
          s.password().ifPresent(pw -> p.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, pw.read()));
        });
    keyPassword.ifPresent(pw -> p.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, pw));
    if (securityProtocol.endsWith("SSL") && !hostnameVerification) {
      p.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "");
    }
    if (securityProtocol.startsWith("SASL_")) {
      String mechanism = saslMechanism.orElse("PLAIN");
      p.put(SaslConfigs.SASL_MECHANISM, mechanism);
      p.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          saslJaasConfig.isPresent()
              ? saslJaasConfig.get().read()
              : loginModule(mechanism)
                  + " required username=\""
                  + jaasQuote(saslUsername.orElseThrow())
                  + "\" password=\""
                  + jaasQuote(saslPassword.orElseThrow().read())
                  + "\";");
    }
    return p;
  }

  /** The bootstrap servers for messages, or a placeholder. */
  public String describe() {
    return bootstrapServers.orElse("(no bootstrap servers)");
  }

  private static String loginModule(String mechanism) {
    return switch (mechanism.toUpperCase(Locale.ROOT)) {
      case "PLAIN" -> PLAIN_LOGIN;
      case "SCRAM-SHA-256", "SCRAM-SHA-512" -> SCRAM_LOGIN;
      default -> null;
    };
  }

  /** JAAS option values are double-quoted; a quote or backslash inside is escaped. */
  static String jaasQuote(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
