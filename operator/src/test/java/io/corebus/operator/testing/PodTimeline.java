package io.corebus.operator.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every pod change in a namespace, in the order the API server reports them, with the pods as they
 * were after each change: lets a test assert on every moment of a rollout, not just on the moments
 * it happened to poll.
 */
public final class PodTimeline implements AutoCloseable {

  /** One moment: what changed and the pods right after. */
  public record Moment(String action, String pod, Map<String, Pod> pods) {
    public long ready() {
      return pods.values().stream().filter(TestKubelet::isReady).count();
    }

    /** Pods that share a revision and an ordinal: must never exist. */
    public List<String> duplicates() {
      Map<String, String> seen = new LinkedHashMap<>();
      List<String> dups = new ArrayList<>();
      for (Pod p : pods.values()) {
        Map<String, String> l = p.getMetadata().getLabels();
        String key = l.get("corebus.io/revision") + "/" + l.get("corebus.io/ordinal");
        if (seen.put(key, p.getMetadata().getName()) != null) {
          dups.add(key);
        }
      }
      return dups;
    }
  }

  private final Map<String, Pod> pods = new LinkedHashMap<>();
  private final List<Moment> moments = new ArrayList<>();
  private final Watch watch;

  public PodTimeline(KubernetesClient client, String namespace) {
    for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
      pods.put(p.getMetadata().getName(), p);
    }
    watch =
        client
            .pods()
            .inNamespace(namespace)
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, Pod pod) {
                    synchronized (PodTimeline.this) {
                      String name = pod.getMetadata().getName();
                      if (action == Action.DELETED) {
                        pods.remove(name);
                      } else {
                        pods.put(name, pod);
                      }
                      moments.add(new Moment(action.name(), name, Map.copyOf(pods)));
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
  }

  public synchronized List<Moment> moments() {
    return List.copyOf(moments);
  }

  @Override
  public void close() {
    watch.close();
  }
}
