package io.corebus.operator.model;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/**
 * What to do to a plug-in's pods in this reconcile, computed by {@link PodSetPlanner} from the pods
 * that exist. Applying it and reconciling again converges step by step.
 *
 * @param create ordinals to create at the current revision
 * @param delete pods to delete, in order
 * @param phase what the pod set is doing
 * @param waitingFor pods the next step waits on (to become Ready), for status messages
 */
public record PodSetPlan(
    List<Integer> create, List<Removal> delete, Phase phase, List<String> waitingFor) {

  public PodSetPlan {
    create = List.copyOf(create);
    delete = List.copyOf(delete);
    waitingFor = List.copyOf(waitingFor);
  }

  public enum Phase {
    /** All pods exist at the current revision and are Ready. */
    STABLE,
    /** Creating, replacing or removing pods of the current revision; no other revision left. */
    SCALING,
    /** Pods of another revision remain: replacing them one at a time. */
    ROLLING
  }

  /** Why a pod goes. */
  public enum Why {
    /** The pod failed or exited; a new one takes its ordinal. */
    FINISHED,
    /** Its ordinal is beyond the desired count. */
    SURPLUS,
    /** It runs an older revision and a Ready new pod has taken its place. */
    REPLACED
  }

  public record Removal(Pod pod, Why why) {}

  public boolean changesSomething() {
    return !create.isEmpty() || !delete.isEmpty();
  }
}
