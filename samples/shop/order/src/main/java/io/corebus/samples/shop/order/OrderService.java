package io.corebus.samples.shop.order;

import io.corebus.plugin.PluginContext;
import io.corebus.samples.shop.inventory.api.InventoryServiceGrpc;
import io.corebus.samples.shop.inventory.api.Item;
import io.corebus.samples.shop.inventory.api.ReserveRequest;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderPlaced;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.payment.api.PaymentServiceGrpc;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code shop.order.OrderService/PlaceOrder}: reserve, charge, publish. Failures of the services it
 * calls are mapped to order's own, documented statuses (see order.proto) instead of being passed
 * through: a caller of order should not have to know payment's or inventory's codes.
 */
final class OrderService extends OrderServiceGrpc.OrderServiceImplBase {
  static final String ORDER_PLACED = "shop.order.OrderPlaced";

  private final PluginContext context;
  // Stubs over the bus: the service name picks the provider, the transport is the Plugins' concern.
  private final InventoryServiceGrpc.InventoryServiceBlockingStub inventory;
  private final PaymentServiceGrpc.PaymentServiceBlockingStub payments;
  private volatile OrderSettings settings;

  OrderService(PluginContext context, OrderSettings settings) {
    this.context = context;
    this.inventory = InventoryServiceGrpc.newBlockingStub(context.channel());
    this.payments = PaymentServiceGrpc.newBlockingStub(context.channel());
    this.settings = settings;
  }

  void useSettings(OrderSettings settings) {
    this.settings = settings;
  }

  @Override
  public void placeOrder(PlaceOrderRequest request, StreamObserver<PlaceOrderReply> reply) {
    try {
      PlaceOrderReply placed = place(request);
      context.metrics().counter("orders", "outcome", "placed").increment();
      reply.onNext(placed);
      reply.onCompleted();
    } catch (Refusal refusal) {
      context.metrics().counter("orders", "outcome", refusal.outcome).increment();
      reply.onError(refusal.status.asRuntimeException());
    }
  }

  private PlaceOrderReply place(PlaceOrderRequest request) {
    long total = total(request);
    String orderId = "ord-" + UUID.randomUUID();
    OrderSettings deadlines = settings;
    ReserveRequest items = items(orderId, request);

    // Each call gets its own deadline; gRPC also caps it by the deadline of the call being served.
    try {
      inventory
          .withDeadlineAfter(deadlines.inventoryDeadlineMs(), TimeUnit.MILLISECONDS)
          .reserve(items);
    } catch (StatusRuntimeException e) {
      throw Refusal.of("inventory", e);
    }

    ChargeReply payment;
    try {
      payment =
          payments
              .withDeadlineAfter(deadlines.paymentDeadlineMs(), TimeUnit.MILLISECONDS)
              .charge(
                  ChargeRequest.newBuilder()
                      .setOrderId(orderId)
                      .setCustomerId(request.getCustomerId())
                      .setAmountCents(total)
                      .build());
    } catch (StatusRuntimeException e) {
      release(items, deadlines);
      throw Refusal.of("payment", e);
    }

    OrderPlaced event =
        OrderPlaced.newBuilder()
            .setOrderId(orderId)
            .setCustomerId(request.getCustomerId())
            .addAllLines(request.getLinesList())
            .setTotalCents(total)
            .setCurrency(payment.getCurrency())
            .setPaymentId(payment.getPaymentId())
            .build();
    try {
      context.publish(ORDER_PLACED, event);
    } catch (StatusRuntimeException e) {
      // The order is reserved and paid, so it stands; the missing event is counted and logged.
      context.metrics().counter("events_unpublished").increment();
      context
          .logger()
          .log(Level.ERROR, "order {0} is placed but its event was not published: {1}", orderId, e);
    }
    return PlaceOrderReply.newBuilder()
        .setOrderId(orderId)
        .setTotalCents(total)
        .setCurrency(payment.getCurrency())
        .setPaymentId(payment.getPaymentId())
        .build();
  }

  /**
   * Puts the items back after a failed charge. It runs outside the served call's context so that
   * the caller's deadline, possibly spent by now, does not cancel the compensation. (A charge that
   * timed out may still have gone through; a real shop would reconcile with payment by order id.)
   */
  private void release(ReserveRequest items, OrderSettings deadlines) {
    try {
      Context.current()
          .fork()
          .run(
              () ->
                  inventory
                      .withDeadlineAfter(deadlines.inventoryDeadlineMs(), TimeUnit.MILLISECONDS)
                      .release(items));
    } catch (StatusRuntimeException e) {
      context.metrics().counter("releases_failed").increment();
      context
          .logger()
          .log(
              Level.WARNING,
              "could not release the items of order {0}: {1}",
              items.getOrderId(),
              e.getStatus());
    }
  }

  private static ReserveRequest items(String orderId, PlaceOrderRequest request) {
    ReserveRequest.Builder items = ReserveRequest.newBuilder().setOrderId(orderId);
    for (OrderLine line : request.getLinesList()) {
      items.addItems(Item.newBuilder().setSku(line.getSku()).setQuantity(line.getQuantity()));
    }
    return items.build();
  }

  /** The order's total in cents; INVALID_ARGUMENT for an order that cannot be placed. */
  private static long total(PlaceOrderRequest request) {
    if (request.getLinesCount() == 0) {
      throw Refusal.invalid("an order needs at least one line");
    }
    long total = 0;
    try {
      for (OrderLine line : request.getLinesList()) {
        if (line.getSku().isBlank()) {
          throw Refusal.invalid("every line needs a sku");
        }
        if (line.getQuantity() <= 0) {
          throw Refusal.invalid(
              "quantity of " + line.getSku() + " must be positive, got " + line.getQuantity());
        }
        if (line.getUnitPriceCents() < 0) {
          throw Refusal.invalid(
              "unit price of "
                  + line.getSku()
                  + " must not be negative, got "
                  + line.getUnitPriceCents());
        }
        total =
            Math.addExact(total, Math.multiplyExact(line.getUnitPriceCents(), line.getQuantity()));
      }
    } catch (ArithmeticException e) {
      throw Refusal.invalid("the order's total is too large");
    }
    return total;
  }

  /** Why an order was not placed: the status for the caller and the outcome for the metric. */
  private static final class Refusal extends RuntimeException {
    final String outcome;
    final Status status;

    private Refusal(String outcome, Status status) {
      super(status.getDescription(), null, false, false);
      this.outcome = outcome;
      this.status = status;
    }

    static Refusal invalid(String description) {
      return new Refusal("invalid", Status.INVALID_ARGUMENT.withDescription(description));
    }

    /** Maps a failed call of {@code dependency} to order's status. */
    static Refusal of(String dependency, StatusRuntimeException e) {
      Status cause = e.getStatus();
      String detail = cause.getCode() + ": " + cause.getDescription();
      if (dependency.equals("inventory") && cause.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
        // inventory's description already reads "out of stock: apple (3 requested, 1 in stock)"
        return new Refusal(
            "out_of_stock", Status.FAILED_PRECONDITION.withDescription(cause.getDescription()));
      }
      if (dependency.equals("payment") && cause.getCode() == Status.Code.FAILED_PRECONDITION) {
        return new Refusal(
            "declined",
            Status.FAILED_PRECONDITION.withDescription(
                "payment declined: " + cause.getDescription()));
      }
      return switch (cause.getCode()) {
        case UNAVAILABLE, DEADLINE_EXCEEDED, NOT_FOUND ->
            new Refusal(
                "unavailable",
                Status.UNAVAILABLE.withDescription(
                    dependency + " is unavailable (" + detail + ")"));
        default ->
            new Refusal(
                "failed", Status.INTERNAL.withDescription(dependency + " failed (" + detail + ")"));
      };
    }
  }
}
