package io.corebus.runtime.bus;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.producer.Producer;

/**
 * The gRPC {@link Channel} a plug-in gets from its context: each unary call becomes a request
 * record on the service's request topic, and its reply comes back on this runtime's {@link
 * ReplySlot}. Works with standard generated stubs (blocking, future and async).
 */
public final class BusChannel extends Channel {
  final RequestRoutes routes;
  final ReplySlot replySlot;
  final Producer<byte[], byte[]> producer;
  final RuntimeIdentity identity;
  final Duration defaultDeadline;
  final int maxAttempts;
  final ScheduledExecutorService scheduler;
  final Executor callbackExecutor;
  final BusMetrics metrics;

  public BusChannel(
      RequestRoutes routes,
      ReplySlot replySlot,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Duration defaultDeadline,
      int maxAttempts,
      ScheduledExecutorService scheduler,
      Executor callbackExecutor,
      BusMetrics metrics) {
    this.routes = routes;
    this.replySlot = replySlot;
    this.producer = producer;
    this.identity = identity;
    this.defaultDeadline = defaultDeadline;
    this.maxAttempts = Math.max(1, maxAttempts);
    this.scheduler = scheduler;
    this.callbackExecutor = callbackExecutor;
    this.metrics = metrics;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    return new BusClientCall<>(this, method, options);
  }

  @Override
  public String authority() {
    return "corebus";
  }
}
