package io.corebus.operator.testing;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for the kubelet the mock API server lacks: the test decides when a pod becomes Running
 * and Ready, or fails.
 */
public final class TestKubelet {
  private static final AtomicInteger IPS = new AtomicInteger(1);
  private final KubernetesClient client;

  public TestKubelet(KubernetesClient client) {
    this.client = client;
  }

  public void markReady(String namespace, String pod) {
    setStatus(
        namespace,
        pod,
        new PodStatusBuilder()
            .withPhase("Running")
            .withPodIP("10.0." + (IPS.get() / 250) + "." + (IPS.getAndIncrement() % 250 + 1))
            .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True").build())
            .build());
  }

  public void markFailed(String namespace, String pod) {
    setStatus(
        namespace,
        pod,
        new PodStatusBuilder()
            .withPhase("Failed")
            .withReason("Error")
            .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False").build())
            .build());
  }

  /**
   * What a kubelet shows for a runtime that exited with {@code message} in its termination message
   * file and waits to be restarted: Running, not Ready, CrashLoopBackOff.
   */
  public void markCrashLooping(String namespace, String pod, String message) {
    setStatus(namespace, pod, TestPods.crashLooping("any", 0, message, 2).getStatus());
  }

  /** Marks every pod of the namespace that is not Ready yet; returns how many it marked. */
  public int markAllReady(String namespace) {
    int n = 0;
    for (Pod p : pods(namespace)) {
      if (!isReady(p)) {
        try {
          markReady(namespace, p.getMetadata().getName());
          n++;
        } catch (KubernetesClientException e) {
          // Deleted meanwhile: nothing to mark.
        }
      }
    }
    return n;
  }

  public List<Pod> pods(String namespace) {
    return client.pods().inNamespace(namespace).list().getItems();
  }

  public static boolean isReady(Pod p) {
    return p.getStatus() != null
        && "Running".equals(p.getStatus().getPhase())
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private void setStatus(
      String namespace, String pod, io.fabric8.kubernetes.api.model.PodStatus status) {
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod)
        .editStatus(
            p -> {
              p.setStatus(status);
              return p;
            });
  }
}
