package io.corebus.runtime.bus;

import io.grpc.Context;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * W3C trace context ({@code traceparent}) carried through the bus. An incoming call's traceparent
 * is kept in the gRPC {@link Context} of its handler, so calls the handler makes continue the same
 * trace with a new span id; a call made outside any traced call starts a new trace.
 */
public final class TraceContext {
  public static final Context.Key<String> TRACEPARENT = Context.key("corebus-traceparent");

  private static final Pattern VALID =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

  private TraceContext() {}

  /** The traceparent for an outgoing call from the current context. */
  public static String forOutgoingCall() {
    String parent = TRACEPARENT.get();
    String traceId =
        parent != null && VALID.matcher(parent).matches() ? parent.substring(3, 35) : hex(16);
    String flags = parent != null && VALID.matcher(parent).matches() ? parent.substring(53) : "01";
    return "00-" + traceId + "-" + hex(8) + "-" + flags;
  }

  /** A valid incoming traceparent, or null. */
  public static String validOrNull(String traceparent) {
    return traceparent != null && VALID.matcher(traceparent).matches() ? traceparent : null;
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    b[0] |= 1; // all-zero ids are invalid
    return HexFormat.of().formatHex(b);
  }
}
