package io.corebus.crds;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A plug-in registered with the Corebus core: its artifact, its contracts, how it scales. */
@Group(Plugin.GROUP)
@Version(Plugin.VERSION)
@Kind("Plugin")
@Plural("plugins")
@Singular("plugin")
@ShortNames({"plg", "cbp"})
// Columns are declared in the order `kubectl get plugins` shows them (priority 1 only with -o
// wide).
// The CRD generator sorts them by jsonPath; the committed copy of the CRD restores this order
// (see CrdDriftTest and crds/README.md).
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Version", jsonPath = ".spec.version", type = Type.STRING)
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".status.replicas", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "QPS", jsonPath = ".status.qps", type = Type.NUMBER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@AdditionalPrinterColumn(
    name = "Ready-Replicas",
    jsonPath = ".status.readyReplicas",
    type = Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    type = Type.STRING,
    priority = 1)
public class Plugin extends CustomResource<PluginSpec, PluginStatus> implements Namespaced {
  public static final String GROUP = "corebus.io";
  public static final String VERSION = "v1alpha1";

  /** The CRD's name, as `kubectl get crd` shows it. */
  public static final String CRD_NAME = "plugins." + GROUP;

  @Override
  protected PluginStatus initStatus() {
    return new PluginStatus();
  }
}
