package io.corebus.samples.shop.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.payment.api.PaymentServiceGrpc;
import io.corebus.samples.shop.testkit.InMemoryBus;
import io.corebus.samples.shop.testkit.InMemoryPluginContext;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.System.Logger.Level;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PaymentPluginTest {
  private final InMemoryBus bus = new InMemoryBus();
  private final PaymentServiceGrpc.PaymentServiceBlockingStub payments =
      PaymentServiceGrpc.newBlockingStub(bus.channel("order"));

  @AfterEach
  void closeBus() throws Exception {
    bus.close();
  }

  private InMemoryPluginContext start(Map<String, String> config) throws Exception {
    return bus.start("payment", new PaymentPlugin(), config);
  }

  private static ChargeRequest charge(long cents) {
    return ChargeRequest.newBuilder()
        .setOrderId("ord-1")
        .setCustomerId("alice")
        .setAmountCents(cents)
        .build();
  }

  @Test
  void chargesInTheConfiguredCurrency() throws Exception {
    InMemoryPluginContext payment = start(Map.of("currency", "CHF"));

    ChargeReply reply = payments.charge(charge(1250));

    assertThat(reply.getPaymentId()).startsWith("pay-");
    assertThat(reply.getAmountCents()).isEqualTo(1250);
    assertThat(reply.getCurrency()).isEqualTo("CHF");
    assertThat(payment.providedServices()).containsExactly("shop.payment.PaymentService");
    assertThat(payment.metrics().counterValue("payments", "outcome", "charged")).isEqualTo(1);
    assertThat(payment.metrics().counterValue("charged_cents", "currency", "CHF")).isEqualTo(1250);
  }

  @Test
  void declinesAmountsOverTheLimitWithFailedPrecondition() throws Exception {
    InMemoryPluginContext payment = start(Map.of("maxAmountCents", "5000"));

    assertThat(payments.charge(charge(5000)).getAmountCents()).isEqualTo(5000);
    assertThatThrownBy(() -> payments.charge(charge(5001)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("the charge of 5001 cents is over the limit of 5000 EUR cents");
            });
    assertThat(payment.metrics().counterValue("payments", "outcome", "declined")).isEqualTo(1);
  }

  @Test
  void refusesAmountsThatAreNotPositive() throws Exception {
    start(Map.of());

    assertThatThrownBy(() -> payments.charge(charge(0)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("must be positive, got 0");
            });
  }

  @Test
  void aConfigChangeAppliesToTheNextCharge() throws Exception {
    InMemoryPluginContext payment = start(Map.of("maxAmountCents", "1000"));
    assertThatThrownBy(() -> payments.charge(charge(2000)))
        .isInstanceOf(StatusRuntimeException.class);

    payment.updateConfig(Map.of("maxAmountCents", "3000", "currency", "USD"));

    ChargeReply reply = payments.charge(charge(2000));
    assertThat(reply.getCurrency()).isEqualTo("USD");
    assertThat(payment.logger().messages(Level.INFO))
        .containsExactly("payment rules now PaymentRules[currency=USD, maxAmountCents=3000]");
  }

  @Test
  void anInvalidConfigChangeIsLoggedAndThePreviousRulesStay() throws Exception {
    InMemoryPluginContext payment = start(Map.of("maxAmountCents", "1000"));

    payment.updateConfig(Map.of("maxAmountCents", "lots"));

    assertThat(payment.logger().messages(Level.WARNING))
        .containsExactly(
            "ignoring the configuration change, keeping the previous rules: "
                + "maxAmountCents must be a positive whole number of cents, got 'lots'");
    assertThat(payments.charge(charge(1000)).getCurrency()).isEqualTo("EUR");
    assertThatThrownBy(() -> payments.charge(charge(1001)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("over the limit of 1000");
  }

  @Test
  void anInvalidConfigAtStartFailsTheStartNamingTheKey() {
    assertThatThrownBy(() -> start(Map.of("currency", "euro")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("currency must be a three-letter ISO 4217 code such as EUR, got 'euro'");
  }

  @Test
  void stopRemovesTheConfigListener() throws Exception {
    PaymentPlugin plugin = new PaymentPlugin();
    InMemoryPluginContext payment = bus.start("payment", plugin, Map.of());
    assertThat(payment.config().listenerCount()).isEqualTo(1);

    plugin.stop();

    assertThat(payment.config().listenerCount()).isZero();
  }
}
