package io.corebus.operator.model;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/**
 * At most one pod of a plug-in may be evicted at a time (node drains, cluster upgrades). Only
 * created when the plug-in may run more than one pod: with one pod, maxUnavailable 1 protects
 * nothing, and anything stricter would block node drains forever.
 */
public final class PluginDisruptionBudgets {
  private PluginDisruptionBudgets() {}

  public static PodDisruptionBudget desired(Plugin plugin) {
    return new PodDisruptionBudgetBuilder()
        .withNewMetadata()
        .withName(PluginNames.podDisruptionBudget(plugin))
        .withNamespace(plugin.getMetadata().getNamespace())
        .withLabels(PluginNames.commonLabels(plugin))
        .withOwnerReferences(PluginPods.ownerReference(plugin))
        .endMetadata()
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector()
        .withMatchLabels(PluginNames.selectorLabels(plugin))
        .endSelector()
        .endSpec()
        .build();
  }
}
