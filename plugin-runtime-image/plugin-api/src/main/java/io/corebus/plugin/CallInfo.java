package io.corebus.plugin;

import io.grpc.Context;
import java.util.Optional;

/**
 * What the runtime knows about the call a service handler is running, read from the handler's
 * thread (the gRPC {@link Context} the runtime attaches):
 *
 * <pre>{@code
 * public void charge(ChargeRequest request, StreamObserver<Receipt> response) {
 *   String key = CallInfo.idempotencyKey().orElseThrow();
 *   if (payments.alreadyCharged(key)) { ... answer as before ... }
 *   ...
 * }
 * }</pre>
 *
 * <p>The runtime executes a call at most once per idempotency key on one replica, but a replica
 * killed outright (not stopped) may have run calls whose completion it never recorded in Kafka;
 * those run again on another replica. A handler whose effects live outside Kafka (a database row, a
 * payment) makes them idempotent with this key to be exactly-once end to end.
 */
public final class CallInfo {
  private CallInfo() {}

  /** Set by the runtime: the same for every attempt and redelivery of one call. */
  public static final Context.Key<String> IDEMPOTENCY_KEY = Context.key("corebus-idempotency-key");

  /** Set by the runtime: the calling Plugin's name. */
  public static final Context.Key<String> CALLER = Context.key("corebus-caller");

  /** The current call's idempotency key; empty outside a handler or when the caller sent none. */
  public static Optional<String> idempotencyKey() {
    return Optional.ofNullable(IDEMPOTENCY_KEY.get());
  }

  /** The Plugin that made the current call; empty outside a handler. */
  public static Optional<String> caller() {
    return Optional.ofNullable(CALLER.get());
  }
}
