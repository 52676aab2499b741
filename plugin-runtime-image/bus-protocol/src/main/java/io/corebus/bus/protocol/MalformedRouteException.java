package io.corebus.bus.protocol;

/** A route-table record that cannot be read: the message names the record and what is wrong. */
public final class MalformedRouteException extends IllegalArgumentException {
  public MalformedRouteException(String message) {
    super(message);
  }

  public MalformedRouteException(String message, Throwable cause) {
    super(message, cause);
  }
}
