package io.corebus.plugin;

import com.google.protobuf.MessageLite;
import io.grpc.BindableService;
import io.grpc.Channel;

/**
 * What the runtime gives a plug-in: its identity, configuration, logger and metrics, and the bus.
 *
 * <p>Registration methods ({@link #registerService}, {@link #subscribe}) may only be called during
 * {@link Plugin#start(PluginContext)}; afterwards they throw {@link IllegalStateException}. The
 * other methods are thread-safe and may be called at any time until {@link Plugin#stop()} returned.
 */
public interface PluginContext {

  /** The Plugin resource's name, which is also the caller identity other plug-ins see. */
  String pluginName();

  /** The Kubernetes namespace the plug-in runs in. */
  String namespace();

  /** The Plugin resource's {@code spec.config}; changes arrive without a restart. */
  PluginConfig config();

  /** A logger named after the plug-in, writing through the runtime's logging (JSON in pods). */
  System.Logger logger();

  /** Counters and timers exported with the runtime's Prometheus metrics. */
  PluginMetrics metrics();

  /**
   * A gRPC channel to every service on the bus. Use it with standard grpc-java generated stubs:
   *
   * <pre>{@code
   * var payments = PaymentServiceGrpc.newBlockingStub(context.channel())
   *     .withDeadlineAfter(2, TimeUnit.SECONDS);
   * Receipt r = payments.charge(request);
   * }</pre>
   *
   * <p>The service is found by its full protobuf name only; whether the call travels as Kafka
   * records (the default) or as direct gRPC (routes marked {@code hybrid}) is configuration in the
   * Plugin resources, never code. Unary calls are supported on the bus. A call without a deadline
   * gets the runtime's default deadline. Failures reach the caller as {@link
   * io.grpc.StatusRuntimeException} with the codes described in {@link io.corebus.plugin the
   * package documentation}.
   */
  Channel channel();

  /**
   * Serves a gRPC service implementation (a generated {@code *ImplBase} subclass, or any {@link
   * BindableService}) to callers on the bus and, for hybrid routes, on the pod's gRPC port. The
   * service's full name should appear in the Plugin's {@code spec.provides}.
   */
  void registerService(BindableService service);

  /**
   * Publishes an event. Returns once the event is durably stored by the bus (acknowledged by all
   * in-sync replicas); throws {@link io.grpc.StatusRuntimeException} with {@code UNAVAILABLE} or
   * {@code DEADLINE_EXCEEDED} when it could not be stored.
   *
   * @param eventType a dotted name such as {@code shop.order.OrderPlaced}, listed in the Plugin's
   *     {@code spec.publishes}
   */
  void publish(String eventType, byte[] payload);

  /** Publishes a protobuf message as an event; see {@link #publish(String, byte[])}. */
  default void publish(String eventType, MessageLite event) {
    publish(eventType, event.toByteArray());
  }

  /**
   * Receives every event of a type once per plug-in, load-balanced across the plug-in's replicas. A
   * handler that throws is retried a bounded number of times; then the event goes to the plug-in's
   * dead-letter topic with the reason in its headers, and later events keep flowing.
   *
   * @param eventType listed in the Plugin's {@code spec.subscribes}
   */
  void subscribe(String eventType, EventHandler handler);
}
