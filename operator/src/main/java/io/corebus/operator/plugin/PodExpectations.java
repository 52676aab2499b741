package io.corebus.operator.plugin;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pod creations and deletions this operator made that its informer has not shown yet (the
 * "expectations" of Kubernetes' own ReplicaSet controller). Without them a reconcile that runs
 * right after a delete would still see the old pod in the cache and delete a second one, breaking
 * the one-at-a-time roll. Kept in memory only: after a restart the informer lists everything fresh,
 * so there is nothing to expect. An expectation that is never observed expires.
 */
public final class PodExpectations {
  static final Duration EXPIRY = Duration.ofSeconds(60);

  private record Created(Pod pod, Instant at) {}

  private record Deleted(String uid, Instant at) {}

  private static final class ForPlugin {
    final Map<String, Created> created = new ConcurrentHashMap<>();
    final Map<String, Deleted> deleted = new ConcurrentHashMap<>();
  }

  private final Map<String, ForPlugin> byPlugin = new ConcurrentHashMap<>();
  private final Clock clock;

  public PodExpectations(Clock clock) {
    this.clock = clock;
  }

  public void created(String pluginKey, Pod pod) {
    of(pluginKey).created.put(pod.getMetadata().getName(), new Created(pod, clock.instant()));
  }

  public void deleted(String pluginKey, Pod pod) {
    ForPlugin f = of(pluginKey);
    f.created.remove(pod.getMetadata().getName());
    f.deleted.put(
        pod.getMetadata().getName(), new Deleted(pod.getMetadata().getUid(), clock.instant()));
  }

  public void forget(String pluginKey) {
    byPlugin.remove(pluginKey);
  }

  /**
   * The pods as they are once this operator's own recent writes are counted: pods it deleted are
   * gone, pods it created are there. Expectations the cache now reflects are dropped.
   */
  public List<Pod> view(String pluginKey, List<Pod> cached) {
    ForPlugin f = byPlugin.get(pluginKey);
    if (f == null) {
      return cached;
    }
    Instant now = clock.instant();
    List<Pod> view = new ArrayList<>();
    for (Pod p : cached) {
      String name = p.getMetadata().getName();
      Deleted d = f.deleted.get(name);
      if (d != null) {
        boolean sameOne = d.uid() == null || d.uid().equals(p.getMetadata().getUid());
        // A terminating pod, or a new pod under the same name, shows the delete was seen.
        boolean observed = !sameOne || p.getMetadata().getDeletionTimestamp() != null;
        boolean expired = !now.isBefore(d.at().plus(EXPIRY));
        if (!observed && !expired) {
          continue;
        }
        f.deleted.remove(name);
      }
      view.add(p);
    }
    // Deletions whose pod is no longer cached are observed.
    f.deleted
        .keySet()
        .removeIf(name -> cached.stream().noneMatch(p -> p.getMetadata().getName().equals(name)));
    f.created.entrySet().removeIf(e -> !now.isBefore(e.getValue().at().plus(EXPIRY)));
    for (Map.Entry<String, Created> e : f.created.entrySet()) {
      if (cached.stream().anyMatch(p -> p.getMetadata().getName().equals(e.getKey()))) {
        f.created.remove(e.getKey());
      } else {
        view.add(e.getValue().pod());
      }
    }
    if (f.created.isEmpty() && f.deleted.isEmpty()) {
      byPlugin.remove(pluginKey, f);
    }
    return view;
  }

  private ForPlugin of(String pluginKey) {
    return byPlugin.computeIfAbsent(pluginKey, k -> new ForPlugin());
  }
}
