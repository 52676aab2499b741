package io.corebus.runtime.security;

import io.corebus.crds.RuntimeContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How the runtime's Kafka clients log in: the security protocol and SASL mechanism the operator
 * sets in the pod's environment, and the plug-in's own credentials from the mounted Secret ({@link
 * RuntimeContract#KAFKA_CREDENTIALS_PATH}: files {@code username}, {@code password} and, with TLS,
 * {@code ca.crt}). The password never travels in the environment. Files are read when a client is
 * built ({@link #apply}).
 */
public record KafkaClientSecurity(
    String securityProtocol, String saslMechanism, Optional<Path> credentialsDir) {

  private static final Set<String> PROTOCOLS =
      Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

  public KafkaClientSecurity {
    securityProtocol = securityProtocol.strip().toUpperCase(Locale.ROOT);
    if (!PROTOCOLS.contains(securityProtocol)) {
      throw new IllegalArgumentException(
          RuntimeContract.ENV_KAFKA_SECURITY_PROTOCOL
              + " is '"
              + securityProtocol
              + "'; use one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
    }
    if (securityProtocol.startsWith("SASL_") && credentialsDir.isEmpty()) {
      throw new IllegalArgumentException(
          "security protocol "
              + securityProtocol
              + " needs "
              + RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR
              + " (the mounted Secret with username and password)");
    }
  }

  /** Plain connections, no login: an unsecured bus. */
  public static KafkaClientSecurity none() {
    return new KafkaClientSecurity("PLAINTEXT", "", Optional.empty());
  }

  /** SASL/SCRAM-SHA-512 without TLS, reading the credentials from {@code dir}. */
  public static KafkaClientSecurity scram(Path dir) {
    return new KafkaClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", Optional.of(dir));
  }

  public boolean isSasl() {
    return securityProtocol.startsWith("SASL_");
  }

  /**
   * Adds the security settings to a client's properties and returns them.
   *
   * @throws IllegalStateException naming the file when a credential file cannot be read
   */
  public Map<String, Object> apply(Map<String, Object> properties) {
    Map<String, Object> p = new HashMap<>(properties);
    p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
    if (isSasl()) {
      String mechanism = saslMechanism.isBlank() ? "SCRAM-SHA-512" : saslMechanism;
      p.put(SaslConfigs.SASL_MECHANISM, mechanism);
      p.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          jaas(
              mechanism.startsWith("SCRAM-")
                  ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                  : "org.apache.kafka.common.security.plain.PlainLoginModule",
              read(RuntimeContract.KAFKA_USERNAME_FILE),
              read(RuntimeContract.KAFKA_PASSWORD_FILE)));
    }
    if (securityProtocol.endsWith("SSL")) {
      Path ca = credentialsDir.map(d -> d.resolve(RuntimeContract.KAFKA_CA_FILE)).orElse(null);
      if (ca != null && Files.exists(ca)) {
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca.toString());
      }
    }
    return p;
  }

  /** A credential file's content without its trailing line break. */
  public String read(String file) {
    Path path = credentialsDir.orElseThrow().resolve(file);
    try {
      return Files.readString(path, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the Kafka credential " + path + ": " + e, e);
    }
  }

  private static String jaas(String module, String user, String password) {
    return module
        + " required username=\""
        + escape(user)
        + "\" password=\""
        + escape(password)
        + "\";";
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
