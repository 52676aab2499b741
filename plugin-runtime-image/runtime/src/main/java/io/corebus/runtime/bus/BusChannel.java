package io.corebus.runtime.bus;

import io.corebus.bus.protocol.CallSignature;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.runtime.security.CallSigner;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;

/**
 * The gRPC {@link Channel} a plug-in gets from its context. A unary call goes where the service's
 * route in the {@link RouteTable} says: a request record on the picked version's topic, answered on
 * this runtime's {@link ReplySlot}, or direct gRPC to one of the version's endpoints for hybrid
 * routes. Works with standard generated stubs (blocking, future and async). Streaming methods work
 * on hybrid routes only (direct, without fallback).
 */
public final class BusChannel extends Channel {
  final RouteTable routes;
  final DirectChannels direct;
  final ReplySlot replySlot;
  final Producer<byte[], byte[]> producer;
  final RuntimeIdentity identity;
  final Duration defaultDeadline;
  final int maxAttempts;
  final ScheduledExecutorService scheduler;
  final Executor callbackExecutor;
  final BusMetrics metrics;
  final CallSigner signer;
  private final Map<String, MethodDescriptor<byte[], byte[]>> rawMethods =
      new ConcurrentHashMap<>();

  public BusChannel(
      RouteTable routes,
      DirectChannels direct,
      ReplySlot replySlot,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Duration defaultDeadline,
      int maxAttempts,
      ScheduledExecutorService scheduler,
      Executor callbackExecutor,
      BusMetrics metrics) {
    this(
        routes,
        direct,
        replySlot,
        producer,
        identity,
        defaultDeadline,
        maxAttempts,
        scheduler,
        callbackExecutor,
        metrics,
        CallSigner.none());
  }

  /** A channel whose calls carry the caller's signature (a secured bus). */
  public BusChannel(
      RouteTable routes,
      DirectChannels direct,
      ReplySlot replySlot,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Duration defaultDeadline,
      int maxAttempts,
      ScheduledExecutorService scheduler,
      Executor callbackExecutor,
      BusMetrics metrics,
      CallSigner signer) {
    this.signer = signer;
    this.routes = routes;
    this.direct = direct;
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
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      ClientCall<ReqT, RespT> streaming = directStreamingCall(method, options);
      if (streaming != null) {
        return streaming;
      }
    }
    return new BusClientCall<>(this, method, options);
  }

  /** A streaming call on a hybrid route, straight to an endpoint; null when there is none. */
  private <ReqT, RespT> ClientCall<ReqT, RespT> directStreamingCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    if (!routes.caughtUp()) {
      return null;
    }
    ResolvedRoute route = routes.resolve(method.getServiceName());
    if (route == null
        || route.route().transport() != ServiceRoute.Transport.HYBRID
        || !route.route().permits(identity.plugin())) {
      return null;
    }
    int index = route.pickVersion();
    Endpoint endpoint = index < 0 ? null : route.nextEndpoint(index);
    if (endpoint == null) {
      return null;
    }
    CallOptions withDeadline =
        options.getDeadline() == null
            ? options.withDeadlineAfter(
                defaultDeadline.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
            : options;
    String traceparent = TraceContext.forOutgoingCall();
    return new ForwardingClientCall.SimpleForwardingClientCall<>(
        direct.channel(endpoint).newCall(method, withDeadline)) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        headers.put(DirectServer.CALLER, identity.plugin());
        headers.put(DirectServer.CALLER_INSTANCE, identity.instance());
        headers.put(DirectServer.TRACEPARENT, traceparent);
        Deadline deadline = withDeadline.getDeadline();
        signDirect(
            headers,
            method.getFullMethodName(),
            null,
            System.currentTimeMillis() + deadline.timeRemaining(TimeUnit.MILLISECONDS));
        super.start(listener, headers);
      }
    };
  }

  /**
   * Signs a direct (hybrid) call: its metadata cannot bind the request body (a server interceptor
   * sees only headers), so the claims are the caller, the method, a fresh nonce (as correlation
   * id), the idempotency key and the deadline; the body is empty.
   */
  void signDirect(Metadata headers, String fullMethod, String idempotencyKey, long deadlineMillis) {
    if (!signer.signs()) {
      return;
    }
    String nonce = java.util.UUID.randomUUID().toString();
    headers.put(DirectServer.CORRELATION_ID, nonce);
    headers.put(DirectServer.DEADLINE, Long.toString(deadlineMillis));
    headers.put(
        DirectServer.SIGNATURE,
        signer.sign(
            new CallSignature.Claims(
                identity.plugin(), fullMethod, nonce, idempotencyKey, deadlineMillis, "", null)));
  }

  /** The method with its messages as bytes: the bus and direct paths carry serialized messages. */
  MethodDescriptor<byte[], byte[]> rawMethod(MethodDescriptor<?, ?> method) {
    return rawMethods.computeIfAbsent(
        method.getFullMethodName(),
        name ->
            MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(name)
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build());
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  @Override
  public String authority() {
    return "corebus";
  }
}
