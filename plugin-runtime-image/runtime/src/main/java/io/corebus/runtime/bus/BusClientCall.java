package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.Logger;

/**
 * One unary call from the caller's side, over the bus or, for hybrid routes, direct gRPC.
 *
 * <p>Each attempt looks the service up in the {@link RouteTable} (so a route change applies to the
 * next attempt), checks the route's allowed callers, picks a version by weight and sends the call
 * to that version's topic, or on a hybrid route to the version's next endpoint, falling back to the
 * topic when the endpoint is {@code UNAVAILABLE}. No route: {@code NOT_FOUND}; a route where every
 * weight is 0: {@code UNAVAILABLE}.
 *
 * <p>A route whose weighted versions all say they have no Ready replica ({@code ready: 0}, as the
 * operator publishes while a plug-in's first pod starts) gets nothing sent: the call waits for the
 * route to change (a route-table listener, no polling) and goes on at once when it does. It gives
 * up with {@code UNAVAILABLE} ("no ready replica of" the service) a little before its deadline
 * ({@code readyWaitMargin}), so the caller learns that the callee is down rather than slow; that
 * failure is final (a retry would only wait again, past the deadline).
 *
 * <p>The deadline is the earliest of the call's, the current context's (so a handler's outgoing
 * calls inherit what is left of its own deadline) and the channel default. An attempt that fails
 * with {@code UNAVAILABLE} is retried with backoff while attempts and time remain, under the same
 * idempotency key, so the callee runs a bus call at most once. Listener callbacks run on the call's
 * executor (a blocking stub's own thread) or the channel's callback executor, never on a Kafka or
 * Netty thread.
 */
final class BusClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private static final Logger LOG = Logger.getLogger(BusClientCall.class);

  private final BusChannel channel;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final Executor executor;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final String idempotencyKey = UUID.randomUUID().toString();
  private final String traceparent = TraceContext.forOutgoingCall();
  private Listener<RespT> listener;
  private byte[] request;
  private long deadlineNanos;
  private long startNanos;
  private volatile String transport = BusMetrics.BUS;
  private volatile String currentCorrelationId;
  private volatile ClientCall<byte[], byte[]> directCall;
  private volatile ScheduledFuture<?> timeout;
  private volatile CompletableFuture<Void> routeChange;

  BusClientCall(BusChannel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    this.channel = channel;
    this.method = method;
    this.options = options;
    this.executor =
        options.getExecutor() != null ? options.getExecutor() : channel.callbackExecutor;
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    this.listener = listener;
    this.startNanos = System.nanoTime();
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      finish(
          Status.UNIMPLEMENTED.withDescription(
              method.getFullMethodName()
                  + " is a streaming method; the bus carries unary calls (use a hybrid route)"));
    }
  }

  @Override
  public void request(int numMessages) {
    // one response, delivered when it arrives
  }

  @Override
  public void sendMessage(ReqT message) {
    if (finished.get()) {
      return;
    }
    if (request != null) {
      finish(Status.INTERNAL.withDescription("a unary call sends one request"));
      return;
    }
    try (InputStream in = method.streamRequest(message)) {
      request = in.readAllBytes();
    } catch (IOException | RuntimeException e) {
      finish(Status.INTERNAL.withDescription("cannot serialize the request: " + e).withCause(e));
    }
  }

  @Override
  public void halfClose() {
    if (finished.get()) {
      return;
    }
    if (request == null) {
      finish(Status.INTERNAL.withDescription("half-closed without a request"));
      return;
    }
    deadlineNanos = startNanos + effectiveTimeout().toNanos();
    long remaining = deadlineNanos - System.nanoTime();
    timeout =
        channel.scheduler.schedule(
            () ->
                finish(
                    Status.DEADLINE_EXCEEDED.withDescription(
                        "no reply from "
                            + method.getServiceName()
                            + " within "
                            + Duration.ofNanos(deadlineNanos - startNanos).toMillis()
                            + " ms"
                            + (channel.routes.caughtUp()
                                ? ""
                                : " (the route table "
                                    + channel.routes.topic()
                                    + " was not read yet: "
                                    + channel.routes.notReadyReason()
                                    + ")"))),
            remaining,
            TimeUnit.NANOSECONDS);
    attempt(1);
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Status status = Status.CANCELLED;
    if (message != null) {
      status = status.withDescription(message);
    }
    finish(cause != null ? status.withCause(cause) : status);
  }

  private Duration effectiveTimeout() {
    long nanos = channel.defaultDeadline.toNanos();
    Deadline callDeadline = options.getDeadline();
    if (callDeadline != null) {
      nanos = Math.min(nanos, callDeadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
    Deadline contextDeadline = Context.current().getDeadline();
    if (contextDeadline != null) {
      nanos = Math.min(nanos, contextDeadline.timeRemaining(TimeUnit.NANOSECONDS));
    }
    return Duration.ofNanos(Math.max(0, nanos));
  }

  private void attempt(int attempt) {
    if (finished.get()) {
      return;
    }
    if (deadlineNanos - System.nanoTime() <= 0) {
      finish(
          Status.DEADLINE_EXCEEDED.withDescription("the deadline passed before the call was sent"));
      return;
    }
    RouteTable routes = channel.routes;
    if (!routes.caughtUp()) {
      // Until the table is read, "no route" may only mean "not read yet": wait (the deadline
      // timer still runs).
      routes.whenCaughtUp().thenRun(() -> channel.callbackExecutor.execute(() -> attempt(attempt)));
      return;
    }
    String service = method.getServiceName();
    ResolvedRoute route = routes.resolve(service);
    if (route == null) {
      finish(
          Status.NOT_FOUND.withDescription(
              "no plug-in provides " + service + " (the route table has no route for it)"));
      return;
    }
    String caller = channel.identity.plugin();
    if (!route.route().permits(caller)) {
      finish(
          Status.PERMISSION_DENIED.withDescription(
              "plug-in "
                  + caller
                  + " may not call "
                  + service
                  + " (allowed: "
                  + route.route().allowedCallers()
                  + ")"));
      return;
    }
    if (route.route().serving() && !route.hasReadyVersion()) {
      awaitReadyReplica(attempt, service, route);
      return;
    }
    int index = route.pickVersion();
    if (index < 0) {
      retryOrFinish(
          attempt,
          Status.UNAVAILABLE.withDescription(
              service + " has no version taking calls now (every weight in its route is 0)"));
      return;
    }
    VersionRoute version = route.version(index);
    if (route.route().transport() == ServiceRoute.Transport.HYBRID) {
      Endpoint endpoint = route.nextEndpoint(index);
      if (endpoint != null) {
        direct(attempt, version, endpoint);
        return;
      }
    }
    if (!version.hasTopic()) {
      retryOrFinish(
          attempt,
          Status.UNAVAILABLE.withDescription(
              "version "
                  + version.version()
                  + " of "
                  + service
                  + " has no ready endpoint and no topic"));
      return;
    }
    overBus(attempt, version.topic());
  }

  /**
   * How long before its deadline a call waiting for a Ready replica gives up with {@code
   * UNAVAILABLE}: a tenth of the call's time, at most 1 s (a 30 s call waits 29 s, a 500 ms call
   * 450 ms). Early enough that the deadline timer cannot win the race, late enough that a replica
   * which becomes Ready in the meantime (a first pod, later a scale from zero) still answers.
   */
  private long readyWaitMargin() {
    return Math.min(TimeUnit.SECONDS.toNanos(1), (deadlineNanos - startNanos) / 10);
  }

  /** Waits for the route of {@code service} to change from {@code seen}, then tries again. */
  private void awaitReadyReplica(int attempt, String service, ResolvedRoute seen) {
    long waitNanos = deadlineNanos - readyWaitMargin() - System.nanoTime();
    Status down =
        Status.UNAVAILABLE.withDescription(
            "no ready replica of "
                + service
                + " within "
                + Duration.ofNanos(deadlineNanos - startNanos).toMillis()
                + " ms (its route names no version with a Ready replica)");
    if (waitNanos <= 0) {
      finish(down);
      return;
    }
    CompletableFuture<Void> change = channel.routes.nextChange(service, seen);
    routeChange = change;
    ScheduledFuture<?> giveUp =
        channel.scheduler.schedule(() -> finish(down), waitNanos, TimeUnit.NANOSECONDS);
    change.thenRun(
        () -> {
          giveUp.cancel(false);
          channel.callbackExecutor.execute(() -> attempt(attempt));
        });
    if (finished.get()) {
      change.cancel(false); // finished (cancelled, timed out) while registering
    }
  }

  private void overBus(int attempt, String topic) {
    if (finished.get()) {
      return;
    }
    transport = BusMetrics.BUS;
    long remainingNanos = deadlineNanos - System.nanoTime();
    String correlationId = UUID.randomUUID().toString();
    currentCorrelationId = correlationId;
    CompletableFuture<Reply> reply = channel.replySlot.expect(correlationId);
    reply.whenComplete((r, e) -> onReply(attempt, r));

    long deadlineMillis =
        System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(remainingNanos);
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, idempotencyKey.getBytes(StandardCharsets.UTF_8), request);
    Headers h = record.headers();
    Records.put(h, BusHeaders.PROTOCOL, BusHeaders.PROTOCOL_VERSION);
    Records.put(h, BusHeaders.CORRELATION_ID, correlationId);
    Records.put(h, BusHeaders.IDEMPOTENCY_KEY, idempotencyKey);
    Records.put(h, BusHeaders.METHOD, method.getFullMethodName());
    Records.put(h, BusHeaders.DEADLINE, Long.toString(deadlineMillis));
    Records.put(h, BusHeaders.CALLER, channel.identity.plugin());
    Records.put(h, BusHeaders.CALLER_INSTANCE, channel.identity.instance());
    Records.put(h, BusHeaders.REPLY_TO, channel.replySlot.topic());
    Records.put(h, BusHeaders.REPLY_PARTITION, Integer.toString(channel.replySlot.partition()));
    Records.put(h, BusHeaders.ATTEMPT, Integer.toString(attempt));
    Records.put(h, BusHeaders.TRACEPARENT, traceparent);
    if (channel.signer.signs()) {
      Records.put(
          h,
          BusHeaders.SIGNATURE,
          channel.signer.sign(
              new CallSignature.Claims(
                  channel.identity.plugin(),
                  method.getFullMethodName(),
                  correlationId,
                  idempotencyKey,
                  deadlineMillis,
                  channel.replySlot.topic(),
                  request)));
    }
    try {
      channel.producer.send(
          record,
          (md, e) -> {
            if (e != null) {
              channel.replySlot.forget(correlationId);
              reply.complete(Reply.error(sendFailure(topic, e)));
            }
          });
    } catch (RuntimeException e) {
      channel.replySlot.forget(correlationId);
      reply.complete(Reply.error(sendFailure(topic, e)));
    }
  }

  /**
   * A failed send: the broker refusing this plug-in's principal the topic (a secured bus whose ACLs
   * do not let it call the service) is final, PERMISSION_DENIED; anything else may pass, so it is
   * UNAVAILABLE and retried.
   */
  private Status sendFailure(String topic, Exception e) {
    if (e instanceof AuthorizationException) {
      return Status.PERMISSION_DENIED.withDescription(
          "the bus does not let plug-in "
              + channel.identity.plugin()
              + " call "
              + method.getServiceName()
              + " (Kafka refused writing to "
              + topic
              + ": "
              + e.getMessage()
              + ")");
    }
    return Status.UNAVAILABLE.withDescription("cannot send the request to " + topic + ": " + e);
  }

  /** The hybrid path: the same request bytes as plain gRPC to one replica. */
  private void direct(int attempt, VersionRoute version, Endpoint endpoint) {
    transport = BusMetrics.DIRECT;
    long remainingNanos = deadlineNanos - System.nanoTime();
    ClientCall<byte[], byte[]> call;
    try {
      call =
          channel
              .direct
              .channel(endpoint)
              .newCall(
                  channel.rawMethod(method),
                  CallOptions.DEFAULT.withDeadlineAfter(remainingNanos, TimeUnit.NANOSECONDS));
    } catch (RuntimeException e) {
      onDirectFailure(attempt, version, endpoint, Status.UNAVAILABLE.withDescription(e.toString()));
      return;
    }
    directCall = call;
    Metadata headers = new Metadata();
    headers.put(DirectServer.CALLER, channel.identity.plugin());
    headers.put(DirectServer.CALLER_INSTANCE, channel.identity.instance());
    headers.put(DirectServer.IDEMPOTENCY_KEY, idempotencyKey);
    headers.put(DirectServer.TRACEPARENT, traceparent);
    channel.signDirect(
        headers,
        method.getFullMethodName(),
        idempotencyKey,
        System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(remainingNanos));
    call.start(
        new Listener<byte[]>() {
          private byte[] body;

          @Override
          public void onMessage(byte[] message) {
            body = message;
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            directCall = null;
            if (status.isOk()) {
              onReply(attempt, Reply.ok(body));
            } else if (status.getCode() == Status.Code.UNAVAILABLE) {
              onDirectFailure(attempt, version, endpoint, status);
            } else {
              finish(status);
            }
          }
        },
        headers);
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
  }

  private void onDirectFailure(int attempt, VersionRoute version, Endpoint endpoint, Status s) {
    if (finished.get()) {
      return;
    }
    if (version.hasTopic()) {
      LOG.debugf(
          "direct call of %s to %s unavailable (%s); falling back to the bus",
          method.getFullMethodName(), endpoint, s.getDescription());
      channel.metrics.directFallback(method.getFullMethodName());
      overBus(attempt, version.topic());
      return;
    }
    retryOrFinish(
        attempt,
        Status.UNAVAILABLE.withDescription(
            "direct call to "
                + endpoint
                + " failed and version "
                + version.version()
                + " has no topic to fall back to: "
                + s.getDescription()));
  }

  private void onReply(int attempt, Reply reply) {
    if (finished.get()) {
      return;
    }
    if (reply.isOk()) {
      RespT response;
      try {
        response = method.parseResponse(new ByteArrayInputStream(reply.body()));
      } catch (RuntimeException e) {
        finish(Status.INTERNAL.withDescription("cannot parse the response: " + e).withCause(e));
        return;
      }
      if (finished.compareAndSet(false, true)) {
        cancelTimeout();
        channel.metrics.callCompleted(
            method.getFullMethodName(), Status.Code.OK, System.nanoTime() - startNanos, transport);
        executor.execute(
            () -> {
              listener.onHeaders(new Metadata());
              listener.onMessage(response);
              listener.onClose(Status.OK, new Metadata());
            });
      }
      return;
    }
    retryOrFinish(attempt, reply.status());
  }

  private void retryOrFinish(int attempt, Status status) {
    if (status.getCode() != Status.Code.UNAVAILABLE || attempt >= channel.maxAttempts) {
      finish(status);
      return;
    }
    long backoffMillis =
        Math.min(2_000, 100L << (attempt - 1)) + ThreadLocalRandom.current().nextLong(50);
    if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis) >= deadlineNanos) {
      finish(status);
      return;
    }
    channel.metrics.callRetried(method.getFullMethodName());
    channel.scheduler.schedule(
        () -> channel.callbackExecutor.execute(() -> attempt(attempt + 1)),
        backoffMillis,
        TimeUnit.MILLISECONDS);
  }

  private void finish(Status status) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    cancelTimeout();
    CompletableFuture<Void> change = routeChange;
    if (change != null) {
      change.cancel(false);
    }
    String correlationId = currentCorrelationId;
    if (correlationId != null) {
      channel.replySlot.forget(correlationId);
    }
    ClientCall<byte[], byte[]> d = directCall;
    if (d != null) {
      d.cancel(status.getDescription(), null);
    }
    channel.metrics.callCompleted(
        method.getFullMethodName(), status.getCode(), System.nanoTime() - startNanos, transport);
    Listener<RespT> l = listener;
    if (l != null) {
      executor.execute(() -> l.onClose(status, new Metadata()));
    }
  }

  private void cancelTimeout() {
    ScheduledFuture<?> t = timeout;
    if (t != null) {
      t.cancel(false);
    }
  }
}
