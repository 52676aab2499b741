package io.corebus.launcher;

import io.corebus.crds.RuntimeContract;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Places orders ({@code shop.order.OrderService/PlaceOrder}) at a fixed rate over order's hybrid
 * route: plain gRPC to the order pods' port 9090, round-robin over the addresses {@code pods}
 * returns (the Ready order pods). Open loop: a slow answer does not slow the rate down.
 */
final class OrderTraffic implements AutoCloseable {

  private static final Metadata.Key<String> CALLER =
      Metadata.Key.of("corebus-caller", Metadata.ASCII_STRING_MARSHALLER);
  private static final String[] SKUS = {"apple", "pear"};

  private final Supplier<List<String>> pods;
  private final double rps;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ExecutorService callers = Executors.newFixedThreadPool(16, daemon("order-call"));
  private final LongAdder ok = new LongAdder();
  private final Map<String, LongAdder> failed = new ConcurrentHashMap<>();
  private final Latencies latencies = new Latencies();
  private final AtomicLong sent = new AtomicLong();
  private volatile boolean running = true;
  private final Thread pacer;

  OrderTraffic(Supplier<List<String>> pods, double rps) {
    this.pods = pods;
    this.rps = rps;
    this.pacer = daemon("order-traffic").newThread(this::pace);
  }

  OrderTraffic start() {
    pacer.start();
    return this;
  }

  private void pace() {
    long start = System.nanoTime();
    long intervalNanos = (long) (1_000_000_000L / rps);
    List<String> targets = List.of();
    long targetsAt = 0;
    while (running) {
      long now = System.nanoTime();
      if (now - targetsAt > 1_000_000_000L) {
        try {
          targets = pods.get();
        } catch (RuntimeException e) {
          // keep the last known pods; the API server may be busy
        }
        targetsAt = now;
      }
      long n = sent.get();
      long due = start + n * intervalNanos;
      if (now < due) {
        try {
          TimeUnit.NANOSECONDS.sleep(Math.min(due - now, 50_000_000L));
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      sent.incrementAndGet();
      if (targets.isEmpty()) {
        failed.computeIfAbsent("no ready order pod", k -> new LongAdder()).increment();
        continue;
      }
      String ip = targets.get((int) (n % targets.size()));
      String sku = SKUS[(int) (n % SKUS.length)];
      callers.execute(() -> call(ip, sku, n));
    }
  }

  private void call(String ip, String sku, long n) {
    ManagedChannel channel =
        channels.computeIfAbsent(
            ip,
            a ->
                NettyChannelBuilder.forAddress(a, RuntimeContract.GRPC_PORT)
                    .usePlaintext()
                    .build());
    long t0 = System.nanoTime();
    try {
      OrderServiceGrpc.newBlockingStub(channel)
          .withInterceptors(callerHeader("corebus-load"))
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .placeOrder(
              PlaceOrderRequest.newBuilder()
                  .setCustomerId("load-" + (n % 100))
                  .addLines(
                      OrderLine.newBuilder().setSku(sku).setQuantity(1).setUnitPriceCents(150))
                  .build());
      ok.increment();
      latencies.record(System.nanoTime() - t0);
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      failed.computeIfAbsent(s.getCode().name(), k -> new LongAdder()).increment();
    } catch (RuntimeException e) {
      failed.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
    }
  }

  private static ClientInterceptor callerHeader(String caller) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(CALLER, caller);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  long ok() {
    return ok.sum();
  }

  long failed() {
    return failed.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Failures by gRPC status code (or reason), sorted by name. */
  Map<String, Long> failures() {
    Map<String, Long> m = new TreeMap<>();
    failed.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  Latencies latencies() {
    return latencies;
  }

  /** Stops sending, waits up to {@code drain} for the calls in flight, closes the channels. */
  void stop(long drainMillis) {
    running = false;
    pacer.interrupt();
    callers.shutdown();
    try {
      callers.awaitTermination(drainMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channels.values().forEach(ManagedChannel::shutdownNow);
  }

  @Override
  public void close() {
    stop(0);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Latencies of the successful calls, in nanoseconds. */
  static final class Latencies {
    private long[] values = new long[1024];
    private int size;

    synchronized void record(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }

    /** The p-th percentile (0..100) in milliseconds, or NaN without samples. */
    synchronized double percentileMillis(double p) {
      if (size == 0) {
        return Double.NaN;
      }
      long[] sorted = Arrays.copyOf(values, size);
      Arrays.sort(sorted);
      int index = (int) Math.ceil(p / 100.0 * size) - 1;
      return sorted[Math.max(0, Math.min(size - 1, index))] / 1_000_000.0;
    }

    synchronized int count() {
      return size;
    }
  }
}
