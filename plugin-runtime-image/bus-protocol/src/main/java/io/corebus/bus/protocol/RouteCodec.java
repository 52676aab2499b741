package io.corebus.bus.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The route-table record format (protocol version {@value BusHeaders#PROTOCOL_VERSION}).
 *
 * <p>Key: the service's full name, UTF-8. Value: UTF-8 JSON, or null (a tombstone: the service has
 * no route any more):
 *
 * <pre>{@code
 * {"protocol":"1","service":"shop.payment.PaymentService","transport":"hybrid",
 *  "allowedCallers":["checkout","orders"],
 *  "versions":[
 *    {"plugin":"payment","version":"1.4.2","revision":"7d9f8c","weight":90,
 *     "topic":"corebus.shop.rpc.shop.payment.PaymentService","endpoints":["10.1.0.7:9090"],"ready":1},
 *    {"plugin":"payment","version":"1.5.0","revision":"5b1e2a","weight":10,
 *     "topic":"corebus.shop.rpc.shop.payment.PaymentService.v1-5-0","endpoints":[],"ready":0}]}
 * }</pre>
 *
 * <p>{@code protocol} (default {@code "1"}), {@code allowedCallers}, {@code revision}, {@code
 * topic}, {@code endpoints} and {@code ready} (the number of Ready replicas of a version; missing
 * means unknown, treated as ready) may be missing or null; {@code transport} defaults to {@code
 * bus}. Unknown fields are ignored, so a newer operator may add some; a different {@code protocol}
 * is refused. The {@code service} field must equal the key. Every rule of {@link ServiceRoute}
 * holds.
 */
public final class RouteCodec {
  private RouteCodec() {}

  /** The record key of a service's route. */
  public static byte[] key(String service) {
    return service.getBytes(StandardCharsets.UTF_8);
  }

  /** The record value of a route. */
  public static byte[] value(ServiceRoute route) {
    return toJson(route).getBytes(StandardCharsets.UTF_8);
  }

  public static String toJson(ServiceRoute route) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("protocol", BusHeaders.PROTOCOL_VERSION);
    m.put("service", route.service());
    m.put("transport", route.transport().wire());
    m.put("allowedCallers", route.allowedCallers());
    List<Object> versions = new ArrayList<>();
    for (VersionRoute v : route.versions()) {
      Map<String, Object> vm = new LinkedHashMap<>();
      vm.put("plugin", v.plugin());
      vm.put("version", v.version());
      vm.put("revision", v.revision());
      vm.put("weight", v.weight());
      vm.put("topic", v.topic());
      vm.put("endpoints", v.endpoints().stream().map(Endpoint::toString).toList());
      if (v.ready() != null) {
        vm.put("ready", v.ready());
      }
      versions.add(vm);
    }
    m.put("versions", versions);
    return Json.write(m);
  }

  /**
   * Reads one record of the route-table topic.
   *
   * @return the route, or empty for a tombstone (null value)
   * @throws MalformedRouteException naming the key and what is wrong
   */
  public static Optional<ServiceRoute> decode(byte[] key, byte[] value) {
    if (key == null) {
      throw new MalformedRouteException("a route record has no key (the key is the service name)");
    }
    String service = utf8(key, "key", null);
    if (value == null) {
      return Optional.empty();
    }
    ServiceRoute route = fromJson(utf8(value, "value", service), service);
    return Optional.of(route);
  }

  /**
   * Parses a route value.
   *
   * @param expectedService the record key, which the value's {@code service} must equal; null to
   *     skip that check
   * @throws MalformedRouteException naming the service and what is wrong
   */
  public static ServiceRoute fromJson(String json, String expectedService) {
    String name = expectedService == null ? "a route" : "the route of '" + expectedService + "'";
    Object parsed;
    try {
      parsed = Json.parse(json);
    } catch (IllegalArgumentException e) {
      throw new MalformedRouteException(name + " is not JSON: " + e.getMessage(), e);
    }
    try {
      Map<String, Object> m = object(parsed, "the value");
      Object protocol = m.getOrDefault("protocol", BusHeaders.PROTOCOL_VERSION);
      if (!BusHeaders.PROTOCOL_VERSION.equals(protocol)) {
        throw new IllegalArgumentException(
            "protocol "
                + protocol
                + " is not supported (this reader knows "
                + BusHeaders.PROTOCOL_VERSION
                + ")");
      }
      String service = string(m, "service", true);
      if (expectedService != null && !expectedService.equals(service)) {
        throw new IllegalArgumentException(
            "its service field '" + service + "' differs from the record key");
      }
      String transport = string(m, "transport", false);
      List<String> callers = strings(m, "allowedCallers");
      List<VersionRoute> versions = new ArrayList<>();
      List<?> raw = list(m, "versions");
      for (int k = 0; k < raw.size(); k++) {
        versions.add(version(object(raw.get(k), "versions[" + k + "]"), k));
      }
      return new ServiceRoute(
          service,
          transport == null
              ? ServiceRoute.Transport.BUS
              : ServiceRoute.Transport.fromWire(transport),
          callers,
          versions);
    } catch (IllegalArgumentException | NullPointerException e) {
      if (e instanceof MalformedRouteException m) {
        throw m;
      }
      throw new MalformedRouteException(name + " is malformed: " + e.getMessage(), e);
    }
  }

  private static VersionRoute version(Map<String, Object> m, int index) {
    Object weight = m.get("weight");
    if (!(weight instanceof Long w) || w < Integer.MIN_VALUE || w > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("versions[" + index + "].weight must be an integer");
    }
    Object ready = m.get("ready");
    if (ready != null
        && (!(ready instanceof Long r) || r < Integer.MIN_VALUE || r > Integer.MAX_VALUE)) {
      throw new IllegalArgumentException(
          "versions[" + index + "].ready must be an integer (or missing)");
    }
    try {
      List<Endpoint> endpoints = new ArrayList<>();
      for (String e : strings(m, "endpoints")) {
        endpoints.add(Endpoint.parse(e));
      }
      return new VersionRoute(
          string(m, "plugin", true),
          string(m, "version", true),
          string(m, "revision", false),
          w.intValue(),
          string(m, "topic", false),
          endpoints,
          ready == null ? null : ((Long) ready).intValue());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("versions[" + index + "]: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object v, String what) {
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException(what + " must be a JSON object");
    }
    return (Map<String, Object>) v;
  }

  private static String string(Map<String, Object> m, String field, boolean required) {
    Object v = m.get(field);
    if (v == null) {
      if (required) {
        throw new IllegalArgumentException("field '" + field + "' is missing");
      }
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("field '" + field + "' must be a string");
    }
    return s;
  }

  private static List<?> list(Map<String, Object> m, String field) {
    Object v = m.get(field);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      throw new IllegalArgumentException("field '" + field + "' must be an array");
    }
    return l;
  }

  private static List<String> strings(Map<String, Object> m, String field) {
    List<String> out = new ArrayList<>();
    for (Object o : list(m, field)) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException("field '" + field + "' must hold only strings");
      }
      out.add(s);
    }
    return out;
  }

  private static String utf8(byte[] bytes, String what, String service) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedRouteException(
          "the "
              + what
              + " of "
              + (service == null ? "a route record" : "the route of '" + service + "'")
              + " is not UTF-8");
    }
  }
}
