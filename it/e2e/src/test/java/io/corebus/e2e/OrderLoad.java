package io.corebus.e2e;

import static org.awaitility.Awaitility.await;

import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Steady order traffic while something happens to the cluster: a few callers that each place their
 * next one-pear order as soon as the previous one is answered (so every order is either placed or
 * fails, none is dropped by the test), counting the placed ones and keeping each failure with its
 * status and the time it was sent.
 */
final class OrderLoad implements AutoCloseable {
  /** A failed order: when it was sent ({@link System#nanoTime()}) and the gRPC status it got. */
  record Failure(long sentAt, Status.Code code, String description) {
    @Override
    public String toString() {
      return code + ": " + description;
    }
  }

  private final Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger placed = new AtomicInteger();
  private final List<Failure> failures = new CopyOnWriteArrayList<>();
  private final List<Thread> callers = new ArrayList<>();
  private ScheduledExecutorService paced;

  private OrderLoad(Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order) {
    this.order = order;
  }

  /**
   * Starts {@code callers} threads placing one-pear orders for {@code customer}; {@code order}
   * gives each call its stub (it is called from all the threads at once).
   */
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

  /**
   * Like {@link #start}, but each caller places at most {@code perSecond} orders a second (the next
   * one starts at its slot, or at once when the previous answer came late): a load that stays the
   * same on a fast and on a saturated machine.
   */
  static OrderLoad startPaced(
      Supplier<OrderServiceGrpc.OrderServiceBlockingStub> order,
      String customer,
      int callers,
      int perSecond) {
    OrderLoad load = new OrderLoad(order);
    PlaceOrderRequest request = request(customer);
    load.paced =
        Executors.newScheduledThreadPool(
            callers,
            r -> {
              Thread t = new Thread(r, "order-load-" + customer);
              t.setDaemon(true);
              return t;
            });
    long period = TimeUnit.SECONDS.toNanos(1) / perSecond;
    for (int i = 0; i < callers; i++) {
      load.paced.scheduleAtFixedRate(
          () -> {
            if (load.running.get()) {
              load.placeOne(request);
            }
          },
          period * i / callers,
          period,
          TimeUnit.NANOSECONDS);
    }
    return load;
  }

  private static PlaceOrderRequest request(String customer) {
    return PlaceOrderRequest.newBuilder()
        .setCustomerId(customer)
        .addLines(OrderLine.newBuilder().setSku("pear").setQuantity(1).setUnitPriceCents(100))
        .build();
  }

  private void run(String customer) {
    PlaceOrderRequest request = request(customer);
    while (running.get()) {
      placeOne(request);
    }
  }

  private void placeOne(PlaceOrderRequest request) {
    long sent = System.nanoTime();
    try {
      order.get().placeOrder(request);
      placed.incrementAndGet();
    } catch (StatusRuntimeException e) {
      failures.add(
          new Failure(
              sent, e.getStatus().getCode(), String.valueOf(e.getStatus().getDescription())));
    }
  }

  int placed() {
    return placed.get();
  }

  /** Waits until {@code total} orders have been placed since the start. */
  void awaitPlaced(int total, Duration atMost) {
    await().atMost(atMost).until(() -> placed.get() >= total);
  }

  /** Waits until {@code orders} more have been placed than now. */
  void awaitMore(int orders, Duration atMost) {
    awaitPlaced(placed.get() + orders, atMost);
  }

  /** {@link #awaitMore(int, Duration)} within a minute. */
  void awaitMore(int orders) {
    awaitMore(orders, Duration.ofSeconds(60));
  }

  List<Failure> failures() {
    return List.copyOf(failures);
  }

  /** Stops placing orders and waits for the last ones to be answered. */
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : callers) {
      t.join(15_000);
    }
    if (paced != null) {
      paced.shutdown();
      paced.awaitTermination(15, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  @Override
  public String toString() {
    return placed()
        + " placed, "
        + failures.size()
        + " failed"
        + (failures.isEmpty() ? "" : " (first: " + failures.get(0) + ")");
  }
}
