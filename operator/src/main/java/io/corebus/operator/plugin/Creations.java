package io.corebus.operator.plugin;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;

/** Creating objects whose cache entry may lag behind the API server. */
final class Creations {
  private Creations() {}

  /**
   * Creates the object. When it already exists and is owned by the same Plugin (the informer had
   * not shown it yet), that is fine and the stored object is returned; an object with that name
   * that belongs to someone else is an error the user must see.
   */
  static <T extends HasMetadata> T create(KubernetesClient client, T desired, String ownerUid) {
    try {
      return client.resource(desired).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      T existing = client.resource(desired).get();
      if (existing != null
          && existing.getMetadata().getOwnerReferences() != null
          && existing.getMetadata().getOwnerReferences().stream()
              .anyMatch(o -> ownerUid.equals(o.getUid()))) {
        return existing;
      }
      throw new IllegalStateException(
          desired.getKind()
              + " "
              + desired.getMetadata().getName()
              + " already exists and does not belong to this Plugin; delete or rename it",
          e);
    }
  }
}
