package io.corebus.samples.shop.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.corebus.plugin.Event;
import io.corebus.samples.shop.inventory.InventoryPlugin;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderPlaced;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.corebus.samples.shop.payment.PaymentPlugin;
import io.corebus.samples.shop.payment.api.ChargeReply;
import io.corebus.samples.shop.payment.api.ChargeRequest;
import io.corebus.samples.shop.payment.api.PaymentServiceGrpc;
import io.corebus.samples.shop.testkit.InMemoryBus;
import io.corebus.samples.shop.testkit.InMemoryBus.Call;
import io.corebus.samples.shop.testkit.InMemoryPluginContext;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Order with the real inventory and payment plug-ins (or a stand-in payment) on one bus. */
class OrderPluginTest {
  private final InMemoryBus bus = new InMemoryBus();
  private final OrderServiceGrpc.OrderServiceBlockingStub orders =
      OrderServiceGrpc.newBlockingStub(bus.channel("test"));
  private InMemoryPluginContext inventory;
  private InMemoryPluginContext payment;

  @AfterEach
  void closeBus() throws Exception {
    bus.close();
  }

  private InMemoryPluginContext startShop(Map<String, String> orderConfig) throws Exception {
    startInventory();
    payment =
        bus.start(
            "payment", new PaymentPlugin(), Map.of("maxAmountCents", "10000", "currency", "EUR"));
    return bus.start("order", new OrderPlugin(), orderConfig);
  }

  private void startInventory() throws Exception {
    inventory =
        bus.start(
            "inventory", new InventoryPlugin(), Map.of("stock.apple", "10", "stock.pear", "1"));
  }

  private double stock(String sku) {
    return inventory.metrics().gaugeValue("stock", "sku", sku);
  }

  private static OrderLine line(String sku, int quantity, long unitPriceCents) {
    return OrderLine.newBuilder()
        .setSku(sku)
        .setQuantity(quantity)
        .setUnitPriceCents(unitPriceCents)
        .build();
  }

  private static PlaceOrderRequest order(OrderLine... lines) {
    return PlaceOrderRequest.newBuilder()
        .setCustomerId("alice")
        .addAllLines(java.util.List.of(lines))
        .build();
  }

  private static StatusRuntimeException failure(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  /** A payment that takes the call and never answers. */
  private static final class SilentPayment extends PaymentServiceGrpc.PaymentServiceImplBase {
    @Override
    public void charge(ChargeRequest request, StreamObserver<ChargeReply> reply) {}
  }

  @Test
  void placingAnOrderReservesChargesAndPublishesOrderPlaced() throws Exception {
    InMemoryPluginContext order = startShop(Map.of());

    PlaceOrderReply reply = orders.placeOrder(order(line("apple", 3, 250), line("pear", 1, 1000)));

    assertThat(reply.getOrderId()).startsWith("ord-");
    assertThat(reply.getTotalCents()).isEqualTo(1750);
    assertThat(reply.getCurrency()).isEqualTo("EUR");
    assertThat(reply.getPaymentId()).startsWith("pay-");
    assertThat(stock("apple")).isEqualTo(7);
    assertThat(stock("pear")).isZero();
    assertThat(payment.metrics().counterValue("charged_cents", "currency", "EUR")).isEqualTo(1750);
    assertThat(bus.calls())
        .contains(
            new Call("order", "shop.inventory.InventoryService"),
            new Call("order", "shop.payment.PaymentService"));
    assertThat(order.metrics().counterValue("orders", "outcome", "placed")).isEqualTo(1);

    assertThat(bus.published("shop.order.OrderPlaced")).hasSize(1);
    Event event = bus.published("shop.order.OrderPlaced").get(0);
    assertThat(event.source()).isEqualTo("order");
    assertThat(OrderPlaced.parseFrom(event.payload()))
        .isEqualTo(
            OrderPlaced.newBuilder()
                .setOrderId(reply.getOrderId())
                .setCustomerId("alice")
                .addLines(line("apple", 3, 250))
                .addLines(line("pear", 1, 1000))
                .setTotalCents(1750)
                .setCurrency("EUR")
                .setPaymentId(reply.getPaymentId())
                .build());
  }

  @Test
  void outOfStockIsFailedPreconditionAndChargesNothing() throws Exception {
    InMemoryPluginContext order = startShop(Map.of());

    StatusRuntimeException e = failure(() -> orders.placeOrder(order(line("pear", 2, 100))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription())
        .isEqualTo("out of stock: pear (2 requested, 1 in stock)");
    assertThat(bus.calls()).doesNotContain(new Call("order", "shop.payment.PaymentService"));
    assertThat(payment.metrics().counterValue("payments", "outcome", "charged")).isZero();
    assertThat(bus.published("shop.order.OrderPlaced")).isEmpty();
    assertThat(order.metrics().counterValue("orders", "outcome", "out_of_stock")).isEqualTo(1);
  }

  @Test
  void aDeclinedPaymentIsFailedPreconditionAndPutsTheItemsBack() throws Exception {
    InMemoryPluginContext order = startShop(Map.of());

    StatusRuntimeException e = failure(() -> orders.placeOrder(order(line("apple", 4, 5000))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription())
        .isEqualTo(
            "payment declined: the charge of 20000 cents is over the limit of 10000 EUR cents");
    assertThat(stock("apple")).isEqualTo(10);
    assertThat(inventory.metrics().counterValue("releases")).isEqualTo(1);
    assertThat(bus.published("shop.order.OrderPlaced")).isEmpty();
    assertThat(order.metrics().counterValue("orders", "outcome", "declined")).isEqualTo(1);
  }

  @Test
  void aPaymentThatDoesNotAnswerInTimeMakesOrderUnavailableAndPutsTheItemsBack() throws Exception {
    startInventory();
    bus.serve("payment", new SilentPayment());
    bus.start("order", new OrderPlugin(), Map.of("paymentDeadlineMs", "200"));

    StatusRuntimeException e = failure(() -> orders.placeOrder(order(line("apple", 2, 100))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .startsWith("payment is unavailable (DEADLINE_EXCEEDED: ");
    assertThat(stock("apple")).isEqualTo(10);
  }

  @Test
  void aMissingPaymentPluginMakesOrderUnavailable() throws Exception {
    startInventory();
    InMemoryPluginContext order = bus.start("order", new OrderPlugin(), Map.of());

    StatusRuntimeException e = failure(() -> orders.placeOrder(order(line("apple", 2, 100))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .isEqualTo(
            "payment is unavailable (NOT_FOUND: no plug-in provides the service"
                + " shop.payment.PaymentService)");
    assertThat(stock("apple")).isEqualTo(10);
    assertThat(order.metrics().counterValue("orders", "outcome", "unavailable")).isEqualTo(1);
  }

  @Test
  void anInvalidOrderIsInvalidArgumentAndCallsNobody() throws Exception {
    InMemoryPluginContext order = startShop(Map.of());

    assertThatThrownBy(() -> orders.placeOrder(order()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: an order needs at least one line");
    assertThatThrownBy(() -> orders.placeOrder(order(line("apple", 1, -5))))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: unit price of apple must not be negative, got -5");
    assertThatThrownBy(() -> orders.placeOrder(order(line("apple", 2, Long.MAX_VALUE))))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: the order's total is too large");
    assertThat(bus.calls()).noneMatch(call -> call.caller().equals("order"));
    assertThat(order.metrics().counterValue("orders", "outcome", "invalid")).isEqualTo(3);
  }

  @Test
  void aDeadlineChangeAppliesToTheNextOrder() throws Exception {
    startInventory();
    bus.serve("payment", new SilentPayment());
    InMemoryPluginContext order =
        bus.start("order", new OrderPlugin(), Map.of("paymentDeadlineMs", "60000"));

    order.updateConfig(Map.of("paymentDeadlineMs", "100"));
    order.updateConfig(Map.of("paymentDeadlineMs", "soon"));

    // With the old 60 s deadline this caller's own 5 s deadline would expire first.
    StatusRuntimeException e =
        failure(
            () ->
                orders
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .placeOrder(order(line("apple", 1, 100))));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(order.logger().messages(Level.INFO))
        .containsExactly(
            "order settings now OrderSettings[inventoryDeadlineMs=1000, paymentDeadlineMs=100]");
    assertThat(order.logger().messages(Level.WARNING))
        .containsExactly(
            "ignoring the configuration change, keeping the previous settings: "
                + "paymentDeadlineMs must be a positive number of milliseconds, got 'soon'");
  }

  @Test
  void theCallersDeadlineCapsTheCallsAndTheItemsAreStillPutBack() throws Exception {
    startInventory();
    bus.serve("payment", new SilentPayment());
    bus.start("order", new OrderPlugin(), Map.of("paymentDeadlineMs", "60000"));

    StatusRuntimeException e =
        failure(
            () ->
                orders
                    .withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .placeOrder(order(line("apple", 1, 100))));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    // The release runs outside the expired call's context, so it still happens.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> inventory.metrics().counterValue("releases") == 1);
    assertThat(stock("apple")).isEqualTo(10);
  }

  @Test
  void anInvalidDeadlineAtStartFailsTheStartNamingTheKey() {
    assertThatThrownBy(
            () -> bus.start("order", new OrderPlugin(), Map.of("inventoryDeadlineMs", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("inventoryDeadlineMs must be a positive number of milliseconds, got '0'");
  }
}
