package io.corebus.operator.security;

import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.bus.KafkaUnavailableException;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The secured bus as the reconciler sees it ({@code corebus.kafka.security.manage-principals}):
 * before a plug-in's pods are created, its credentials Secret exists and the broker knows its user,
 * ACLs and key ({@link #ensure}); its pods mount the Secret ({@link #mount}); on delete, all of it
 * goes ({@link #release}). {@link #OFF} does nothing: an unsecured bus.
 */
public final class PluginSecurity {
  private static final Logger LOG = Logger.getLogger(PluginSecurity.class);

  public static final PluginSecurity OFF = new PluginSecurity(null, "PLAINTEXT", Optional.empty());

  private final PluginPrincipals principals;
  private final String securityProtocol;
  private final Optional<String> caPem;

  /**
   * @param securityProtocol what the runtimes use: SASL_PLAINTEXT or SASL_SSL
   * @param caPem the CA the runtimes trust (SASL_SSL)
   */
  public PluginSecurity(
      PluginPrincipals principals, String securityProtocol, Optional<String> caPem) {
    this.principals = principals;
    this.securityProtocol = securityProtocol;
    this.caPem = caPem;
  }

  public boolean enabled() {
    return principals != null;
  }

  /**
   * Ensures the Secret (creating it, or replacing one that is incomplete) and the broker side.
   *
   * @param cached the Secret as the informer has it, or null
   */
  public void ensure(
      Plugin plugin, List<Plugin> namespacePlugins, Secret cached, KubernetesClient client)
      throws KafkaUnavailableException {
    if (!enabled()) {
      return;
    }
    PluginCredentials.Values values = secret(plugin, cached, client);
    principals.ensure(plugin, values, namespacePlugins);
  }

  /** The credentials in the Secret; a missing or incomplete Secret is (re)written first. */
  private PluginCredentials.Values secret(Plugin plugin, Secret cached, KubernetesClient client) {
    Optional<PluginCredentials.Values> existing = PluginCredentials.read(cached, plugin);
    if (existing.isPresent()) {
      if (caPem.isPresent() && !caPem.equals(caOf(cached))) {
        client.resource(PluginCredentials.secret(plugin, existing.get(), caPem)).update();
      }
      return existing.get();
    }
    String ns = plugin.getMetadata().getNamespace();
    String name = PluginCredentials.secretName(plugin);
    if (cached == null) {
      // The informer may lag behind a Secret written a moment ago: never replace one unseen.
      Secret stored = client.secrets().inNamespace(ns).withName(name).get();
      Optional<PluginCredentials.Values> read = PluginCredentials.read(stored, plugin);
      if (read.isPresent()) {
        return read.get();
      }
      cached = stored;
    }
    PluginCredentials.Values fresh = PluginCredentials.generate(plugin);
    Secret desired = PluginCredentials.secret(plugin, fresh, caPem);
    if (cached == null) {
      try {
        client.resource(desired).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        Secret raced = client.secrets().inNamespace(ns).withName(name).get();
        return PluginCredentials.read(raced, plugin)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "Secret " + name + " exists but does not hold this plug-in's credentials"));
      }
      LOG.infof(
          "%s/%s: created the credentials Secret %s", ns, plugin.getMetadata().getName(), name);
    } else {
      client.resource(desired).update();
      LOG.warnf(
          "%s/%s: the credentials Secret %s was incomplete; wrote new credentials",
          ns, plugin.getMetadata().getName(), name);
    }
    return fresh;
  }

  private static Optional<String> caOf(Secret secret) {
    if (secret.getData() == null || !secret.getData().containsKey(RuntimeContract.KAFKA_CA_FILE)) {
      return Optional.empty();
    }
    return Optional.of(
        new String(
            Base64.getDecoder().decode(secret.getData().get(RuntimeContract.KAFKA_CA_FILE)),
            StandardCharsets.UTF_8));
  }

  /**
   * What of the bus security goes into a pod (its protocol, the CA it trusts), as an input of the
   * pods' revision; null when the bus is not secured. Runtimes read both only at start.
   */
  public String revisionInput() {
    if (!enabled()) {
      return null;
    }
    return securityProtocol
        + caPem.map(pem -> " ca sha256:" + KafkaPrincipals.sha256(pem)).orElse("");
  }

  /** The pod with the credentials mounted (unchanged when the bus is not secured). */
  public Pod mount(Pod pod, Plugin plugin) {
    return enabled() ? PluginCredentials.mount(pod, plugin, securityProtocol) : pod;
  }

  /**
   * Removes the broker side and the Secret.
   *
   * @param lastInNamespace no other Plugin of the namespace stays (the keys topic goes too)
   */
  public void release(Plugin plugin, boolean lastInNamespace, KubernetesClient client)
      throws KafkaUnavailableException {
    if (!enabled()) {
      return;
    }
    principals.release(plugin, lastInNamespace);
    client
        .secrets()
        .inNamespace(plugin.getMetadata().getNamespace())
        .withName(PluginCredentials.secretName(plugin))
        .delete();
  }
}
