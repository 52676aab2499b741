package io.corebus.operator.security;

import io.corebus.operator.bus.BusAdmin;
import io.corebus.operator.bus.KafkaConnection;
import io.corebus.operator.config.CorebusConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** {@link PluginSecurity} from {@code corebus.kafka.security.*}; checked at start-up. */
@ApplicationScoped
public class PluginSecurityProducer {

  @Produces
  @Singleton
  PluginSecurity security(CorebusConfig config, BusAdmin admin) {
    CorebusConfig.Security s = config.kafka().security();
    if (!s.managePrincipals()) {
      return PluginSecurity.OFF;
    }
    KafkaConnection connection = KafkaConnection.from(config.kafka());
    if (!connection.securityProtocol().startsWith("SASL_")) {
      throw new IllegalArgumentException(
          "corebus.kafka.security.manage-principals needs corebus.kafka.security-protocol"
              + " SASL_PLAINTEXT or SASL_SSL (it is "
              + connection.securityProtocol()
              + ")");
    }
    Optional<String> ca = s.runtimeCaFile().map(PluginSecurityProducer::read);
    return new PluginSecurity(
        new KafkaPrincipals(
            admin, connection::producerProperties, s.recheckInterval(), Clock.systemUTC()),
        connection.securityProtocol(),
        ca);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read corebus.kafka.security.runtime-ca-file " + file, e);
    }
  }
}
