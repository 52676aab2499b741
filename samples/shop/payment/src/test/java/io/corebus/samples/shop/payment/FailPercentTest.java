package io.corebus.samples.shop.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.testkit.InMemoryMetrics;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailPercentTest {
  @Test
  void unsetOrBlankMeansNoDeliberateFailure() {
    assertThat(PaymentService.failPercent(null)).isZero();
    assertThat(PaymentService.failPercent(" ")).isZero();
  }

  @Test
  void aWholeNumberFrom0To100IsTheShareOfFailedCharges() {
    assertThat(PaymentService.failPercent("50")).isEqualTo(50);
    assertThat(PaymentService.failPercent(" 100 ")).isEqualTo(100);
  }

  @Test
  void anythingElseIsRejectedNamingTheVariable() {
    assertThatThrownBy(() -> PaymentService.failPercent("101"))
        .hasMessage("PAYMENT_FAIL_PERCENT must be a whole number from 0 to 100, got '101'");
    assertThatThrownBy(() -> PaymentService.failPercent("half"))
        .hasMessageContaining("PAYMENT_FAIL_PERCENT");
  }

  @Test
  void at100PercentEveryChargeFailsWithInternalAndIsCounted() {
    InMemoryMetrics metrics = new InMemoryMetrics();
    PaymentService service = new PaymentService(PaymentRules.from(Map.of()), metrics, 100);
    List<Throwable> errors = new ArrayList<>();
    StreamObserver<ChargeReply> reply =
        new StreamObserver<>() {
          @Override
          public void onNext(ChargeReply value) {}

          @Override
          public void onError(Throwable t) {
            errors.add(t);
          }

          @Override
          public void onCompleted() {}
        };

    service.charge(ChargeRequest.newBuilder().setAmountCents(100).build(), reply);
    service.charge(ChargeRequest.newBuilder().setAmountCents(200).build(), reply);

    assertThat(errors)
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INTERNAL);
              assertThat(Status.fromThrowable(e).getDescription())
                  .isEqualTo(PaymentService.DELIBERATE_FAILURE);
            });
    assertThat(metrics.counterValue("payments", "outcome", "failed")).isEqualTo(2);
    assertThat(metrics.counterValue("payments", "outcome", "charged")).isZero();
  }
}
