package io.corebus.operator.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.RolloutStrategy;
import io.corebus.operator.config.OperatorSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A short, stable hash of everything that goes into a plug-in's pod template. Pods whose revision
 * label differs from the current one are rolled. spec.config is left out on purpose: it reaches
 * running pods through the mounted ConfigMap, so a config change must not restart anything. So are
 * replicas, autoscaling and rollout, which change how many pods run, not what they run.
 *
 * <p>The bus security the pods are built with is in it too: turning security on or off, or a new
 * CA, rolls the pods, whose credentials mount and Kafka settings come from it.
 *
 * <p>A HotSwap Plugin ({@link #hotSwaps}) leaves out spec.version and spec.artifact too: its
 * running pods load a new jar in place when the operator asks them on the control topic, so a
 * version change must not roll them. Everything else still does, and switching the strategy to or
 * from HotSwap rolls once (the pods learn whether to follow the control topic from their env).
 */
public final class PluginRevision {
  private PluginRevision() {}

  /** Hex characters of the revision. */
  public static final int LENGTH = 10;

  /**
   * Bumped when {@link PluginPods} changes what it renders in a way running pods must pick up (for
   * example a new probe or env variable), so an operator upgrade rolls the plug-ins. 2: {@code
   * COREBUS_ALLOWED_CALLERS} (its value comes from provides[].allowedCallers, already hashed). 3:
   * {@code COREBUS_REQUEST_TOPICS}.
   */
  static final int TEMPLATE_GENERATION = 3;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The revision on a bus that is not secured. */
  public static String of(PluginSpec spec, OperatorSettings settings) {
    return of(spec, settings, null);
  }

  /**
   * @param busSecurity how the pods reach a secured bus ({@code PluginSecurity.revisionInput()}),
   *     or null when it is not secured (the hash is then what it was before security existed)
   */
  public static String of(PluginSpec spec, OperatorSettings settings, String busSecurity) {
    ObjectNode in = MAPPER.createObjectNode();
    in.put("templateGeneration", TEMPLATE_GENERATION);
    if (hotSwaps(spec)) {
      in.put("hotSwap", true);
    } else {
      in.put("version", spec.getVersion());
      in.set("artifact", MAPPER.valueToTree(spec.getArtifact()));
    }
    in.set("provides", MAPPER.valueToTree(spec.getProvides()));
    in.set("subscribes", MAPPER.valueToTree(spec.getSubscribes()));
    in.set("publishes", MAPPER.valueToTree(spec.getPublishes()));
    in.set("requires", MAPPER.valueToTree(spec.getRequires()));
    in.set("resources", MAPPER.valueToTree(PluginPods.effectiveResources(spec, settings)));
    in.set("env", MAPPER.valueToTree(spec.getEnv()));
    in.set("podTemplate", MAPPER.valueToTree(spec.getPodTemplate()));
    if (spec.getArtifact() == null || spec.getArtifact().getImage() == null) {
      // Only jar artifacts run the stock image; an image artifact does not change with it.
      in.put("runtimeImage", settings.runtimeImage());
    }
    in.put("kafkaBootstrap", settings.kafkaBootstrap().orElse(""));
    in.put("terminationGracePeriodSeconds", settings.terminationGracePeriodSeconds());
    in.put("busSecurity", busSecurity); // null is left out by canonical()
    return hash(canonical(in).toString());
  }

  /** Whether versions of this Plugin are swapped in place: strategy HotSwap and a jar artifact. */
  public static boolean hotSwaps(PluginSpec spec) {
    return spec.getRollout() != null
        && spec.getRollout().getStrategy() == RolloutStrategy.HotSwap
        && spec.getArtifact() != null
        && spec.getArtifact().getJar() != null;
  }

  /** Same JSON with object keys sorted, so field order never changes the hash. */
  static JsonNode canonical(JsonNode node) {
    if (node == null || node.isNull()) {
      return MAPPER.nullNode();
    }
    if (node.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          sorted.put(e.getKey(), canonical(e.getValue()));
        }
      }
      ObjectNode out = MAPPER.createObjectNode();
      sorted.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = MAPPER.createArrayNode();
      node.forEach(n -> out.add(canonical(n)));
      return out;
    }
    return node;
  }

  private static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
