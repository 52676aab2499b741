package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.bus.protocol.CallSignature.Claims;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CallSignatureTest {

  private final KeyPair orders = CallSignature.generateKeyPair();
  private final KeyPair mallory = CallSignature.generateKeyPair();

  private static Claims claims(String caller, String body) {
    return new Claims(
        caller,
        "shop.payment.PaymentService/Charge",
        "corr-1",
        "idem-1",
        1_700_000_000_000L,
        "corebus.shop.reply.orders.orders-0123456789-0",
        body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aSignatureVerifiesWithTheCallersPublicKeyOnly() {
    String sig = CallSignature.sign(orders.getPrivate(), claims("orders", "{amount: 5}"));
    assertThat(CallSignature.verify(orders.getPublic(), claims("orders", "{amount: 5}"), sig))
        .isTrue();
    assertThat(CallSignature.verify(mallory.getPublic(), claims("orders", "{amount: 5}"), sig))
        .isFalse();
  }

  @Test
  void changingTheCallerTheBodyOrTheDeadlineBreaksTheSignature() {
    Claims signed = claims("orders", "{amount: 5}");
    String sig = CallSignature.sign(orders.getPrivate(), signed);
    assertThat(CallSignature.verify(orders.getPublic(), claims("mallory", "{amount: 5}"), sig))
        .isFalse();
    assertThat(CallSignature.verify(orders.getPublic(), claims("orders", "{amount: 500}"), sig))
        .isFalse();
    Claims later =
        new Claims(
            signed.caller(),
            signed.method(),
            signed.correlationId(),
            signed.idempotencyKey(),
            signed.deadline() + 60_000,
            signed.replyTo(),
            signed.body());
    assertThat(CallSignature.verify(orders.getPublic(), later, sig)).isFalse();
  }

  @Test
  void aMissingOrGarbledSignatureIsRejectedWithoutAnException() {
    Claims c = claims("orders", "x");
    assertThat(CallSignature.verify(orders.getPublic(), c, null)).isFalse();
    assertThat(CallSignature.verify(orders.getPublic(), c, "not base64 !")).isFalse();
    assertThat(CallSignature.verify(null, c, CallSignature.sign(orders.getPrivate(), c))).isFalse();
    byte[] bytes = java.util.Base64.getDecoder().decode(CallSignature.sign(orders.getPrivate(), c));
    bytes[0] ^= 1;
    assertThat(
            CallSignature.verify(
                orders.getPublic(), c, java.util.Base64.getEncoder().encodeToString(bytes)))
        .isFalse();
  }

  @Test
  void keysSurviveTheirTextForm() {
    var pub = CallSignature.publicKey(CallSignature.encode(orders.getPublic()));
    var priv = CallSignature.privateKey(CallSignature.encode(orders.getPrivate()));
    Claims c = claims("orders", "x");
    assertThat(CallSignature.verify(pub, c, CallSignature.sign(priv, c))).isTrue();
    assertThat(Arrays.equals(pub.getEncoded(), orders.getPublic().getEncoded())).isTrue();
    assertThatThrownBy(() -> CallSignature.publicKey("AAAA"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("X.509 Ed25519");
  }

  @Test
  void aLineFeedInAFieldIsRefused() {
    assertThatThrownBy(() -> CallSignature.sign(orders.getPrivate(), claims("ord\ners", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line feed");
  }
}
