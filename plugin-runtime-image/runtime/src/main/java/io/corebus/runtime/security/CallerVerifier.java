package io.corebus.runtime.security;

import io.corebus.bus.protocol.CallSignature;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Checks that a call comes from the plug-in it names: its signature must verify with that plug-in's
 * public key as the operator published it ({@link CallerKeys}). Used by callees on a secured bus,
 * before the {@code allowedCallers} check.
 */
public final class CallerVerifier {
  private final CallerKeys keys;
  private final Duration keyWait;

  /**
   * @param keyWait how long to wait for the key of a caller not seen yet (a plug-in created a
   *     moment ago)
   */
  public CallerVerifier(CallerKeys keys, Duration keyWait) {
    this.keys = keys;
    this.keyWait = keyWait;
  }

  /** Completes with null when the signature proves the caller, else with the reason it does not. */
  public CompletableFuture<String> check(CallSignature.Claims claims, String signature) {
    if (signature == null || signature.isEmpty()) {
      return CompletableFuture.completedFuture("the call is not signed");
    }
    return keys.keyOf(claims.caller(), keyWait)
        .thenApply(
            key -> {
              if (key == null) {
                return "no key is published for plug-in " + claims.caller();
              }
              return CallSignature.verify(key, claims, signature)
                  ? null
                  : "the signature does not match plug-in " + claims.caller() + "'s key";
            });
  }
}
