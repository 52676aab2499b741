package io.corebus.operator.security;

import io.corebus.crds.Plugin;
import io.corebus.operator.bus.KafkaUnavailableException;
import java.util.List;

/**
 * A plug-in's identity on the broker of a secured bus: its SCRAM credential, its ACLs and its
 * published public key. Idempotent; see {@link KafkaPrincipals}.
 */
public interface PluginPrincipals {

  /**
   * Makes the broker match the plug-in's credentials and the permissions its namespace gives it.
   *
   * @param namespacePlugins every Plugin of the namespace (the plug-in may be among them)
   */
  void ensure(Plugin plugin, PluginCredentials.Values credentials, List<Plugin> namespacePlugins)
      throws KafkaUnavailableException;

  /**
   * Removes the credential, every ACL of the principal and the published key.
   *
   * @param lastInNamespace no other Plugin of the namespace stays: the namespace's keys topic goes
   *     too (the next plug-in's {@link #ensure} creates it again)
   */
  void release(Plugin plugin, boolean lastInNamespace) throws KafkaUnavailableException;
}
