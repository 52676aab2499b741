package io.corebus.runtime.security;

import io.corebus.bus.protocol.CallSignature;
import io.corebus.crds.RuntimeContract;
import io.corebus.runtime.config.RuntimeConfig;
import io.corebus.runtime.loader.PluginLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The runtime's security settings as the operator hands them over (see {@link RuntimeContract}).
 */
public final class BusSecurity {
  private BusSecurity() {}

  /** How long a callee waits for the public key of a caller it has not seen yet. */
  public static final Duration KEY_WAIT = Duration.ofSeconds(5);

  /**
   * How the Kafka clients log in.
   *
   * @throws PluginLoadException (InvalidKafkaSecurity) when the settings cannot work
   */
  public static KafkaClientSecurity clientSecurity(RuntimeConfig config)
      throws PluginLoadException {
    try {
      return new KafkaClientSecurity(
          config.kafkaSecurityProtocol(),
          config.kafkaSaslMechanism().orElse(""),
          config.kafkaCredentialsDir());
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException("InvalidKafkaSecurity", e.getMessage(), e);
    }
  }

  /**
   * Signs calls with the mounted signing key when there is one; a secured bus without one is a
   * start failure (its calls would all be denied).
   */
  public static CallSigner signer(RuntimeConfig config, KafkaClientSecurity security)
      throws PluginLoadException {
    Path file =
        config
            .kafkaCredentialsDir()
            .map(d -> d.resolve(RuntimeContract.SIGNING_KEY_FILE))
            .orElse(null);
    if (file == null || !Files.exists(file)) {
      if (config.requireSignedCalls()) {
        throw new PluginLoadException(
            "SigningKeyMissing",
            "the bus requires signed calls but there is no signing key at "
                + (file == null ? RuntimeContract.ENV_KAFKA_CREDENTIALS_DIR + " (unset)" : file),
            null);
      }
      return CallSigner.none();
    }
    try {
      return CallSigner.with(
          CallSignature.privateKey(security.read(RuntimeContract.SIGNING_KEY_FILE)));
    } catch (IllegalArgumentException e) {
      throw new PluginLoadException("InvalidSigningKey", file + ": " + e.getMessage(), e);
    }
  }
}
