package io.corebus.bus.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The control-topic record format (protocol version {@value BusHeaders#PROTOCOL_VERSION}).
 *
 * <p>Key: the plug-in's name, UTF-8. Value: UTF-8 JSON, or null (a tombstone: no command, run what
 * the pod was started with):
 *
 * <pre>{@code
 * {"protocol":"1","plugin":"payment","version":"1.5.0",
 *  "jarUrl":"https://repo.example/payment-1.5.0.jar","sha256":"9f86d0...","generation":7}
 * }</pre>
 *
 * <p>Unknown fields are ignored, so a newer operator may add some; a different {@code protocol} is
 * refused. The {@code plugin} field must equal the key.
 */
public final class ControlCodec {
  private ControlCodec() {}

  public static byte[] key(String plugin) {
    return plugin.getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] value(DesiredArtifact desired) {
    return toJson(desired).getBytes(StandardCharsets.UTF_8);
  }

  public static String toJson(DesiredArtifact d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("protocol", BusHeaders.PROTOCOL_VERSION);
    m.put("plugin", d.plugin());
    m.put("version", d.version());
    m.put("jarUrl", d.jarUrl());
    m.put("sha256", d.sha256());
    m.put("generation", d.generation());
    return Json.write(m);
  }

  /**
   * Reads one record of the control topic.
   *
   * @return the desired artifact, or empty for a tombstone (null value)
   * @throws IllegalArgumentException naming the key and what is wrong
   */
  public static Optional<DesiredArtifact> decode(byte[] key, byte[] value) {
    if (key == null) {
      throw new IllegalArgumentException("a control record has no key (the plug-in's name)");
    }
    String plugin = utf8(key, "key");
    if (value == null) {
      return Optional.empty();
    }
    String what = "the control record of '" + plugin + "'";
    try {
      if (!(Json.parse(utf8(value, "value of " + plugin)) instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("the value must be a JSON object");
      }
      Object protocol = m.get("protocol");
      if (protocol != null && !BusHeaders.PROTOCOL_VERSION.equals(protocol)) {
        throw new IllegalArgumentException(
            "protocol " + protocol + " is not " + BusHeaders.PROTOCOL_VERSION);
      }
      String named = string(m, "plugin");
      if (!plugin.equals(named)) {
        throw new IllegalArgumentException("field 'plugin' is '" + named + "', not the key");
      }
      Object generation = m.get("generation");
      if (generation != null && !(generation instanceof Long)) {
        throw new IllegalArgumentException("field 'generation' must be an integer");
      }
      return Optional.of(
          new DesiredArtifact(
              plugin,
              string(m, "version"),
              string(m, "jarUrl"),
              string(m, "sha256"),
              generation == null ? 0 : (Long) generation));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(what + " is malformed: " + e.getMessage(), e);
    }
  }

  private static String string(Map<?, ?> m, String field) {
    Object v = m.get(field);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("field '" + field + "' must be a string");
    }
    return s;
  }

  private static String utf8(byte[] bytes, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the " + what + " of a control record is not UTF-8");
    }
  }
}
