package io.corebus.operator.model;

import io.corebus.crds.Plugin;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place that names what the operator creates for a plug-in, and the labels it puts on them.
 * Everything else asks here, so a name never drifts between the creator and the finder.
 */
public final class PluginNames {
  private PluginNames() {}

  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_VERSION = "app.kubernetes.io/version";
  public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
  public static final String LABEL_PART_OF = "app.kubernetes.io/part-of";
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";

  public static final String LABEL_PLUGIN = "corebus.io/plugin";
  public static final String LABEL_REVISION = "corebus.io/revision";
  public static final String LABEL_ORDINAL = "corebus.io/ordinal";

  public static final String COMPONENT = "plugin";
  public static final String PART_OF = "corebus";
  public static final String MANAGED_BY = "corebus-operator";

  /** What the operator's informers watch: only objects it created. */
  public static final String MANAGED_BY_SELECTOR = LABEL_MANAGED_BY + "=" + MANAGED_BY;

  /** Prefix of label and annotation keys the operator owns. */
  public static final String RESERVED_KEY_PREFIX = "corebus.io/";

  /** Pod volumes the operator adds; podTemplate volumes may not reuse these names. */
  public static final String CONFIG_VOLUME = "corebus-config";

  public static final String TMP_VOLUME = "corebus-tmp";

  /**
   * Longest plug-in name: pod names are {@code <plugin>-<revision>-<ordinal>} and must stay a DNS
   * label (63 characters) with a 10-character revision and ordinals up to 999.
   */
  public static final int MAX_PLUGIN_NAME_LENGTH = 40;

  /** Pods: {@code <plugin>-<revision>-<ordinal>}, such as {@code payment-3f2a9c01de-0}. */
  public static String pod(String plugin, String revision, int ordinal) {
    return plugin + "-" + revision + "-" + ordinal;
  }

  public static String pod(Plugin plugin, String revision, int ordinal) {
    return pod(plugin.getMetadata().getName(), revision, ordinal);
  }

  /** The Service for the hybrid (direct gRPC) path; named like the plug-in. */
  public static String service(Plugin plugin) {
    return plugin.getMetadata().getName();
  }

  public static String podDisruptionBudget(Plugin plugin) {
    return plugin.getMetadata().getName();
  }

  /** The ConfigMap that carries spec.config into the pods. */
  public static String configMap(Plugin plugin) {
    return plugin.getMetadata().getName() + "-config";
  }

  /** Labels that select every pod of a plug-in, whatever its revision. */
  public static Map<String, String> selectorLabels(Plugin plugin) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_PLUGIN, plugin.getMetadata().getName());
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    return labels;
  }

  /** {@link #selectorLabels} as a label-selector string, for status.selector (scale). */
  public static String selector(Plugin plugin) {
    return LABEL_MANAGED_BY
        + "="
        + MANAGED_BY
        + ","
        + LABEL_PLUGIN
        + "="
        + plugin.getMetadata().getName();
  }

  /** Recommended labels plus the plug-in label, for every object of a plug-in. */
  public static Map<String, String> commonLabels(Plugin plugin) {
    String name = plugin.getMetadata().getName();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_NAME, name);
    labels.put(LABEL_INSTANCE, name);
    labels.put(LABEL_COMPONENT, COMPONENT);
    labels.put(LABEL_PART_OF, PART_OF);
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    labels.put(LABEL_PLUGIN, name);
    return labels;
  }

  /** Labels of one pod: the common ones, its version, revision and ordinal. */
  public static Map<String, String> podLabels(Plugin plugin, String revision, int ordinal) {
    Map<String, String> labels = commonLabels(plugin);
    labels.put(LABEL_VERSION, labelValue(plugin.getSpec().getVersion()));
    labels.put(LABEL_REVISION, revision);
    labels.put(LABEL_ORDINAL, Integer.toString(ordinal));
    return labels;
  }

  /**
   * A label value from free text: label values allow only letters, digits, '-', '_' and '.', at
   * most 63 characters, starting and ending with a letter or digit. A version such as {@code
   * 1.0+build.5} becomes {@code 1.0_build.5}.
   */
  public static String labelValue(String text) {
    if (text == null) {
      return "";
    }
    String v = text.replaceAll("[^A-Za-z0-9_.-]", "_");
    if (v.length() > 63) {
      v = v.substring(0, 63);
    }
    v = v.replaceAll("^[^A-Za-z0-9]+", "").replaceAll("[^A-Za-z0-9]+$", "");
    return v;
  }
}
