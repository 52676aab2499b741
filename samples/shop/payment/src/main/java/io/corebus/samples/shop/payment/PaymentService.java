package io.corebus.samples.shop.payment;

import io.corebus.plugin.PluginMetrics;
import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.payment.api.PaymentServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code shop.payment.PaymentService}. Errors are typed gRPC statuses, which reach the caller
 * unchanged over the bus: {@code INVALID_ARGUMENT} for a malformed request, {@code
 * FAILED_PRECONDITION} for a declined charge (the code says declined, the description why).
 */
final class PaymentService extends PaymentServiceGrpc.PaymentServiceImplBase {
  /** Percentage (0..100) of charges that fail with INTERNAL, for rollout drills. */
  static final String FAIL_PERCENT_ENV = "PAYMENT_FAIL_PERCENT";

  /** The description of a deliberately failed charge. */
  static final String DELIBERATE_FAILURE = "deliberate failure (" + FAIL_PERCENT_ENV + ")";

  private final PluginMetrics metrics;
  private final int failPercent;
  private volatile PaymentRules rules;

  PaymentService(PaymentRules rules, PluginMetrics metrics) {
    this(rules, metrics, 0);
  }

  PaymentService(PaymentRules rules, PluginMetrics metrics, int failPercent) {
    this.rules = rules;
    this.metrics = metrics;
    this.failPercent = failPercent;
  }

  /**
   * @param value the env variable's value, null or blank for none
   * @throws IllegalArgumentException naming the variable when it is not a whole number in 0..100
   */
  static int failPercent(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    int percent;
    try {
      percent = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      percent = -1;
    }
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException(
          FAIL_PERCENT_ENV + " must be a whole number from 0 to 100, got '" + value + "'");
    }
    return percent;
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
    if (failPercent > 0 && ThreadLocalRandom.current().nextInt(100) < failPercent) {
      metrics.counter("payments", "outcome", "failed").increment();
      reply.onError(Status.INTERNAL.withDescription(DELIBERATE_FAILURE).asRuntimeException());
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
