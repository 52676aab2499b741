package io.corebus.bus.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * Proof that a call comes from the plug-in its {@link BusHeaders#CALLER} header names.
 *
 * <p>Kafka ACLs decide who may write to a request topic, but the consumer cannot tell which
 * principal produced a record, so any plug-in allowed to call a service could put another plug-in's
 * name in the caller header. On a secured bus the operator therefore gives each plug-in an Ed25519
 * key pair: the private key in the plug-in's credentials Secret, the public key on the compacted
 * {@link BusTopics#keys()} topic (only the operator may write it). The caller signs the {@link
 * Claims} of every call; the callee verifies the signature with the claimed caller's public key
 * before it looks at {@code allowedCallers}.
 *
 * <p>The signed bytes are the UTF-8 of {@code corebus-call-v1}, the caller, the full method, the
 * correlation id, the idempotency key, the deadline (decimal), the reply topic and the SHA-256 of
 * the request body, each followed by a line feed. None of the strings may contain a line feed.
 * Binding the deadline bounds a replay in time; binding the reply topic keeps a replayed request
 * from sending the answer anywhere but to the caller.
 *
 * <p>Keys travel as base64 of their standard encodings (X.509 SubjectPublicKeyInfo for public keys,
 * PKCS#8 for private keys); signatures as base64 of the 64 signature bytes.
 */
public final class CallSignature {
  public static final String ALGORITHM = "Ed25519";
  private static final String VERSION = "corebus-call-v1";

  private CallSignature() {}

  /**
   * What a signature covers.
   *
   * @param caller the calling plug-in's name
   * @param method the gRPC full method name
   * @param correlationId the attempt's correlation id (on the direct path: the idempotency key)
   * @param idempotencyKey the call's idempotency key
   * @param deadline epoch milliseconds
   * @param replyTo the caller's reply slot (empty on the direct path)
   * @param body the serialized request message
   */
  public record Claims(
      String caller,
      String method,
      String correlationId,
      String idempotencyKey,
      long deadline,
      String replyTo,
      byte[] body) {
    public Claims {
      Objects.requireNonNull(caller, "caller");
      Objects.requireNonNull(method, "method");
      correlationId = Objects.requireNonNullElse(correlationId, "");
      idempotencyKey = Objects.requireNonNullElse(idempotencyKey, "");
      replyTo = Objects.requireNonNullElse(replyTo, "");
      body = body == null ? new byte[0] : body;
    }

    /** The bytes that are signed. */
    byte[] canonical() {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      for (String field :
          new String[] {
            VERSION,
            caller,
            method,
            correlationId,
            idempotencyKey,
            Long.toString(deadline),
            replyTo,
            Base64.getEncoder().encodeToString(sha256(body))
          }) {
        if (field.indexOf('\n') >= 0) {
          throw new IllegalArgumentException("a signed call field contains a line feed: " + field);
        }
        out.writeBytes(field.getBytes(StandardCharsets.UTF_8));
        out.write('\n');
      }
      return out.toByteArray();
    }
  }

  /** A new random key pair. */
  public static KeyPair generateKeyPair() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
    }
  }

  /** Signs the claims; returns the base64 signature for {@link BusHeaders#SIGNATURE}. */
  public static String sign(PrivateKey key, Claims claims) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(claims.canonical());
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a call: " + e, e);
    }
  }

  /** Whether {@code signature} (base64) is the key's signature over the claims; never throws. */
  public static boolean verify(PublicKey key, Claims claims, String signature) {
    if (key == null || signature == null || signature.isEmpty()) {
      return false;
    }
    try {
      byte[] raw = Base64.getDecoder().decode(signature);
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(claims.canonical());
      return s.verify(raw);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Base64 of a key's standard encoding (X.509 for public, PKCS#8 for private keys). */
  public static String encode(java.security.Key key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /**
   * Reads a public key written by {@link #encode}.
   *
   * @throws IllegalArgumentException when it is not a base64 X.509 Ed25519 key
   */
  public static PublicKey publicKey(String base64) {
    try {
      return KeyFactory.getInstance(ALGORITHM)
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64.strip())));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a base64 X.509 " + ALGORITHM + " public key: " + e);
    }
  }

  /**
   * Reads a private key written by {@link #encode}.
   *
   * @throws IllegalArgumentException when it is not a base64 PKCS#8 Ed25519 key
   */
  public static PrivateKey privateKey(String base64) {
    try {
      return KeyFactory.getInstance(ALGORITHM)
          .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64.strip())));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a base64 PKCS#8 " + ALGORITHM + " private key: " + e);
    }
  }

  private static byte[] sha256(byte[] body) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(body);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
