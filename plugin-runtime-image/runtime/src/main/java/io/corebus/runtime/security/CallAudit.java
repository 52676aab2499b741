package io.corebus.runtime.security;

import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The audit trail of refused calls: one line per call that was denied for its caller (a missing or
 * bad signature, an unknown caller, a caller not in {@code allowedCallers}), on the log category
 * {@value #CATEGORY} at WARN, so it can be routed to an audit sink apart from the rest of the log.
 * The caller is the one the request <em>claims</em>: when the signature is bad, it is not proven.
 */
public final class CallAudit {
  public static final String CATEGORY = "io.corebus.audit";
  private static final Logger LOG = Logger.getLogger(CATEGORY);

  private final Consumer<String> sink;

  private CallAudit(Consumer<String> sink) {
    this.sink = sink;
  }

  /** Audit lines go to the log. */
  public static CallAudit toLog() {
    return new CallAudit(LOG::warn);
  }

  /** Audit lines go to {@code sink} (tests, or another audit channel). */
  public static CallAudit to(Consumer<String> sink) {
    return new CallAudit(sink);
  }

  /**
   * Records one denied call.
   *
   * @param transport "bus" or "direct"
   * @param where the request's topic-partition@offset, or the peer of a direct call
   */
  public void denied(
      String callee,
      String claimedCaller,
      String callerInstance,
      String method,
      String reason,
      String transport,
      String where) {
    sink.accept(
        "call denied: callee="
            + callee
            + " caller="
            + claimedCaller
            + " caller-instance="
            + callerInstance
            + " method="
            + method
            + " transport="
            + transport
            + " reason=\""
            + reason
            + "\" at="
            + where);
  }
}
