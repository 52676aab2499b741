package io.corebus.operator.model;

import io.corebus.crds.PluginSpec;
import io.corebus.crds.Replicas;

/**
 * How many pods a plug-in should have right now, and its bounds.
 *
 * @param min replicas.min (default 1)
 * @param max replicas.max, defaulting to min
 * @param desired the count the operator converges to: replicas.desired (else min) clamped to [min,
 *     max], until the autoscaler replaces it ({@link #withDesired})
 * @param note set when the spec asks for something the operator does not do yet
 */
public record ReplicaCount(int min, int max, int desired, String note) {

  public static ReplicaCount of(PluginSpec spec) {
    Replicas r = spec.getReplicas();
    int min = r == null || r.getMin() == null ? 1 : Math.max(0, r.getMin());
    int max = r == null || r.getMax() == null ? min : Math.max(min, r.getMax());
    Integer requested = r == null ? null : r.getDesired();
    int desired = Math.min(max, Math.max(min, requested == null ? min : requested));

    return new ReplicaCount(min, max, desired, null);
  }

  /** The same bounds with the count the autoscaler decided. */
  public ReplicaCount withDesired(int count) {
    return new ReplicaCount(min, max, count, note);
  }

  /** A PodDisruptionBudget only makes sense when the plug-in may run more than one pod. */
  public boolean wantsDisruptionBudget() {
    return max > 1;
  }
}
