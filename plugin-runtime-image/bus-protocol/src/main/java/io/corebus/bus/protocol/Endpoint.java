package io.corebus.bus.protocol;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a hybrid route's caller reaches one replica directly over gRPC: {@code host:port}, written
 * {@code [v6address]:port} for IPv6. The operator publishes each ready pod's IP with the runtime's
 * gRPC port ({@code io.corebus.crds.RuntimeContract.GRPC_PORT}).
 */
public record Endpoint(String host, int port) {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:-]{1,253}");

  public Endpoint {
    Objects.requireNonNull(host, "host");
    if (!HOST.matcher(host).matches()) {
      throw new IllegalArgumentException(
          "endpoint host '" + host + "' is not a host name or IP address");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("endpoint port " + port + " is not within 1..65535");
    }
  }

  /**
   * Parses {@code host:port} or {@code [v6]:port}.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Endpoint parse(String value) {
    Objects.requireNonNull(value, "endpoint");
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException("endpoint '" + value + "' is not host:port");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException(
          "endpoint '" + value + "': write an IPv6 address in brackets, [addr]:port");
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("endpoint '" + value + "' has no numeric port");
    }
    return new Endpoint(host, port);
  }

  /** The form {@link #parse} reads. */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
