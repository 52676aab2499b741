package io.corebus.samples.shop.payment;

import io.corebus.plugin.PluginMetrics;
import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.payment.api.PaymentServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.UUID;

/**
 * {@code shop.payment.PaymentService}. Errors are typed gRPC statuses, which reach the caller
 * unchanged over the bus: {@code INVALID_ARGUMENT} for a malformed request, {@code
 * FAILED_PRECONDITION} for a declined charge (the code says declined, the description why).
 */
final class PaymentService extends PaymentServiceGrpc.PaymentServiceImplBase {
  private final PluginMetrics metrics;
  private volatile PaymentRules rules;

  PaymentService(PaymentRules rules, PluginMetrics metrics) {
    this.rules = rules;
    this.metrics = metrics;
  }

  void useRules(PaymentRules rules) {
    this.rules = rules;
  }

  @Override
  public void charge(ChargeRequest request, StreamObserver<ChargeReply> reply) {
    PaymentRules current = rules;
    long amount = request.getAmountCents();
    if (amount <= 0) {
      metrics.counter("payments", "outcome", "invalid").increment();
      reply.onError(
          Status.INVALID_ARGUMENT
              .withDescription("amount_cents must be positive, got " + amount)
              .asRuntimeException());
      return;
    }
    if (amount > current.maxAmountCents()) {
      metrics.counter("payments", "outcome", "declined").increment();
      reply.onError(
          Status.FAILED_PRECONDITION
              .withDescription(
                  "the charge of "
                      + amount
                      + " cents is over the limit of "
                      + current.maxAmountCents()
                      + " "
                      + current.currency()
                      + " cents")
              .asRuntimeException());
      return;
    }
    metrics.counter("payments", "outcome", "charged").increment();
    metrics.counter("charged_cents", "currency", current.currency()).increment(amount);
    reply.onNext(
        ChargeReply.newBuilder()
            .setPaymentId("pay-" + UUID.randomUUID())
            .setAmountCents(amount)
            .setCurrency(current.currency())
            .build());
    reply.onCompleted();
  }
}
