package io.corebus.runtime.security;

import io.corebus.bus.protocol.CallSignature;
import java.security.PrivateKey;

/**
 * Signs this runtime's outgoing calls with the plug-in's private key (from the mounted credentials
 * Secret), or does nothing on an unsecured bus.
 */
public final class CallSigner {
  private static final CallSigner NONE = new CallSigner(null);

  private final PrivateKey key;

  private CallSigner(PrivateKey key) {
    this.key = key;
  }

  /** Calls go unsigned. */
  public static CallSigner none() {
    return NONE;
  }

  public static CallSigner with(PrivateKey key) {
    return new CallSigner(key);
  }

  public boolean signs() {
    return key != null;
  }

  /** The base64 signature for the call, or null when this runtime has no key. */
  public String sign(CallSignature.Claims claims) {
    return key == null ? null : CallSignature.sign(key, claims);
  }
}
