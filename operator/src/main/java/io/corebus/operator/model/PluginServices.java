package io.corebus.operator.model;

import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;

/**
 * The Service of a plug-in: the hybrid path, where callers reach a latency-critical service by
 * direct gRPC instead of through the bus. It selects every pod of the plug-in, all revisions.
 */
public final class PluginServices {
  private PluginServices() {}

  public static Service desired(Plugin plugin) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(PluginNames.service(plugin))
        .withNamespace(plugin.getMetadata().getNamespace())
        .withLabels(PluginNames.commonLabels(plugin))
        .withOwnerReferences(PluginPods.ownerReference(plugin))
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(PluginNames.selectorLabels(plugin))
        .withPorts(
            new ServicePortBuilder()
                .withName(PluginPods.HTTP_PORT_NAME)
                .withPort(RuntimeContract.HTTP_PORT)
                .withTargetPort(new IntOrString(PluginPods.HTTP_PORT_NAME))
                .withProtocol("TCP")
                .build(),
            new ServicePortBuilder()
                .withName(PluginPods.GRPC_PORT_NAME)
                .withPort(RuntimeContract.GRPC_PORT)
                .withTargetPort(new IntOrString(PluginPods.GRPC_PORT_NAME))
                .withProtocol("TCP")
                .withAppProtocol("kubernetes.io/h2c")
                .build())
        .endSpec()
        .build();
  }
}
