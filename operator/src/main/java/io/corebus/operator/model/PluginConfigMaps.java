package io.corebus.operator.model;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.util.TreeMap;

/**
 * The ConfigMap holding spec.config, mounted into every pod at RuntimeContract.CONFIG_MOUNT_PATH
 * (one file per key). Kubernetes refreshes mounted ConfigMaps in place, so a config change reaches
 * running plug-ins without a restart; that is why config is not part of the revision.
 */
public final class PluginConfigMaps {
  private PluginConfigMaps() {}

  public static ConfigMap desired(Plugin plugin) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(PluginNames.configMap(plugin))
        .withNamespace(plugin.getMetadata().getNamespace())
        .withLabels(PluginNames.commonLabels(plugin))
        .withOwnerReferences(PluginPods.ownerReference(plugin))
        .endMetadata()
        .withData(
            plugin.getSpec().getConfig() == null
                ? new TreeMap<>()
                : new TreeMap<>(plugin.getSpec().getConfig()))
        .build();
  }
}
