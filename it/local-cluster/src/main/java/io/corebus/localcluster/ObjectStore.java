package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * fabric8's CRUD store, with graceful deletion of pods as a real API server does it: deleting a pod
 * that a kubelet runs (its {@code spec.nodeName} is set) only stamps {@code deletionTimestamp} and
 * {@code deletionGracePeriodSeconds}; the kubelet stops the containers and then deletes the pod
 * with a grace period of 0. Unbound pods, and deletes with a grace period of 0, go at once.
 *
 * <p>Caveat inherited from the mock: any later update of a pod that carries a deletionTimestamp and
 * no finalizers removes it from the store at once (fabric8 treats such an update as the final
 * delete). The process kubelet therefore does not write status while a pod terminates.
 */
final class ObjectStore extends KubernetesCrudDispatcher {

  /** Grace period requested by the DELETE being handled on this thread; -1 = unspecified. */
  private static final ThreadLocal<Long> PENDING_POD_DELETE = new ThreadLocal<>();

  private final Runnable onDelete;
  private final WatchFeed feed;

  ObjectStore(Runnable onDelete, WatchFeed feed) {
    this.onDelete = onDelete;
    this.feed = feed;
  }

  /** Runs a pod DELETE so that {@link #processEvent} turns it into a graceful deletion. */
  <T> T withPodDelete(long gracePeriodSeconds, java.util.function.Supplier<T> delete) {
    PENDING_POD_DELETE.set(gracePeriodSeconds);
    try {
      return delete.get();
    } finally {
      PENDING_POD_DELETE.remove();
    }
  }

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      AttributeSet oldAttributes,
      GenericKubernetesResource resource,
      String newState) {
    String before = oldAttributes == null ? null : getMap().get(oldAttributes);
    Long requestedGrace = PENDING_POD_DELETE.get();
    if (newState == null && requestedGrace != null && oldAttributes != null) {
      String old = before;
      GenericKubernetesResource pod =
          old == null ? null : Serialization.unmarshal(old, GenericKubernetesResource.class);
      if (pod != null && "Pod".equals(pod.getKind())) {
        Map<String, Object> spec = pod.get("spec");
        Object nodeName = spec == null ? null : spec.get("nodeName");
        long grace = requestedGrace;
        if (grace < 0) {
          Object podGrace = spec == null ? null : spec.get("terminationGracePeriodSeconds");
          grace = podGrace instanceof Number n ? n.longValue() : 30;
        }
        boolean bound = nodeName != null && !nodeName.toString().isEmpty();
        if (bound && grace > 0) {
          if (pod.getMetadata().getDeletionTimestamp() == null
              || pod.getMetadata().getDeletionGracePeriodSeconds() == null
              || pod.getMetadata().getDeletionGracePeriodSeconds() > grace) {
            pod.getMetadata()
                .setDeletionTimestamp(
                    Instant.now().plusSeconds(grace).truncatedTo(ChronoUnit.SECONDS).toString());
            pod.getMetadata().setDeletionGracePeriodSeconds(grace);
            pod.getMetadata().setResourceVersion(String.valueOf(requestResourceVersion()));
          }
          String marked = Serialization.asJson(pod);
          super.processEvent(path, pathAttributes, oldAttributes, pod, marked);
          feed.publish(before, marked, 0);
          return;
        }
      }
    }
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    if (newState == null && before != null) {
      feed.publish(before, null, requestResourceVersion());
      onDelete.run();
    } else if (newState != null) {
      feed.publish(before, newState, 0);
    }
  }
}
