package io.corebus.operator.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Plugin;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PluginSecurityTest {
  /** Never called: revisionInput() reads only the protocol and the CA. */
  static final PluginPrincipals PRINCIPALS =
      new PluginPrincipals() {
        @Override
        public void ensure(
            Plugin plugin, PluginCredentials.Values credentials, List<Plugin> namespacePlugins) {
          throw new AssertionError("not expected");
        }

        @Override
        public void release(Plugin plugin, boolean lastInNamespace) {
          throw new AssertionError("not expected");
        }
      };

  @Test
  void theRevisionInputNamesTheProtocolAndTheTrustedCaAndIsNullOnAnUnsecuredBus() {
    assertThat(PluginSecurity.OFF.revisionInput()).isNull();

    String plain =
        new PluginSecurity(PRINCIPALS, "SASL_PLAINTEXT", Optional.empty()).revisionInput();
    String tls = new PluginSecurity(PRINCIPALS, "SASL_SSL", Optional.of("ca one")).revisionInput();
    String rotated =
        new PluginSecurity(PRINCIPALS, "SASL_SSL", Optional.of("ca two")).revisionInput();

    assertThat(plain).isEqualTo("SASL_PLAINTEXT");
    assertThat(tls).startsWith("SASL_SSL ca sha256:").doesNotContain("ca one");
    assertThat(rotated).startsWith("SASL_SSL ca sha256:").isNotEqualTo(tls);
    assertThat(new PluginSecurity(PRINCIPALS, "SASL_SSL", Optional.of("ca one")).revisionInput())
        .as("stable across operator restarts")
        .isEqualTo(tls);
  }
}
