package io.corebus.e2e;

import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Steady order traffic while something happens to the cluster: a few callers that each place their
 * next order as soon as the previous one is answered (so every order is either placed or fails,
 * none is dropped by the test), counting both.
 */
final class OrderLoad implements AutoCloseable {
  private final Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger placed = new AtomicInteger();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<Thread> callers = new ArrayList<>();

  private OrderLoad(Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order) {
    this.order = order;
  }

  /** Starts {@code callers} threads placing one-pear orders for {@code customer}. */
  static OrderLoad start(
      Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order, String customer, int callers) {
    OrderLoad load = new OrderLoad(order);
    for (int i = 0; i < callers; i++) {
      Thread t = new Thread(() -> load.run(customer), "order-load-" + customer + "-" + i);
      t.setDaemon(true);
      load.callers.add(t);
      t.start();
    }
    return load;
  }

  private void run(String customer) {
    PlaceOrderRequest request =
        PlaceOrderRequest.newBuilder()
            .setCustomerId(customer)
            .addLines(OrderLine.newBuilder().setSku("pear").setQuantity(1).setUnitPriceCents(100))
            .build();
    while (running.get()) {
      try {
        order.get().placeOrder(request);
        placed.incrementAndGet();
      } catch (StatusRuntimeException e) {
        failures.add(e.getStatus().toString());
      }
    }
  }

  int placed() {
    return placed.get();
  }

  List<String> failures() {
    return List.copyOf(failures);
  }

  /** Stops placing orders and waits for the last ones to be answered. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : callers) {
      t.join(15_000);
    }
  }

  @Override
  public String toString() {
    return placed() + " placed, " + failures.size() + " failed " + failures();
  }
}
