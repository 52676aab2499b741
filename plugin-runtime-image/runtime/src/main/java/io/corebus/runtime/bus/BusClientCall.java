package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusHeaders;
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
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

/**
 * One unary call over the bus, from the caller's side.
 *
 * <p>The deadline is the earliest of the call's, the current context's (so a handler's outgoing
 * calls inherit what is left of its own deadline) and the channel default. An attempt that fails
 * with {@code UNAVAILABLE} is retried with backoff while attempts and time remain, under the same
 * idempotency key, so the callee runs the call at most once. Listener callbacks run on the call's
 * executor (a blocking stub's own thread) or the channel's callback executor, never on a Kafka
 * thread.
 */
final class BusClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
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
  private volatile String currentCorrelationId;
  private volatile ScheduledFuture<?> timeout;

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
                            + " ms")),
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
    long remainingNanos = deadlineNanos - System.nanoTime();
    if (remainingNanos <= 0) {
      finish(
          Status.DEADLINE_EXCEEDED.withDescription("the deadline passed before the call was sent"));
      return;
    }
    String service = method.getServiceName();
    Optional<String> topic;
    try {
      topic = channel.routes.requestTopic(service, Duration.ofNanos(remainingNanos));
    } catch (TimeoutException | ExecutionException e) {
      retryOrFinish(
          attempt,
          Status.UNAVAILABLE.withDescription("cannot look up " + service + " on the bus: " + e));
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finish(Status.CANCELLED.withDescription("interrupted"));
      return;
    }
    if (topic.isEmpty()) {
      finish(
          Status.NOT_FOUND.withDescription(
              "no plug-in provides " + service + " (its request topic does not exist)"));
      return;
    }
    String correlationId = UUID.randomUUID().toString();
    currentCorrelationId = correlationId;
    CompletableFuture<Reply> reply = channel.replySlot.expect(correlationId);
    reply.whenComplete((r, e) -> onReply(attempt, r));

    long deadlineMillis =
        System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(remainingNanos);
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(
            topic.get(),
            null,
            idempotencyKey.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            request);
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
    try {
      channel.producer.send(
          record,
          (md, e) -> {
            if (e != null) {
              channel.replySlot.forget(correlationId);
              reply.complete(
                  Reply.error(
                      Status.UNAVAILABLE.withDescription(
                          "cannot send the request to " + topic.get() + ": " + e)));
            }
          });
    } catch (RuntimeException e) {
      channel.replySlot.forget(correlationId);
      reply.complete(
          Reply.error(
              Status.UNAVAILABLE.withDescription(
                  "cannot send the request to " + topic.get() + ": " + e)));
    }
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
            method.getFullMethodName(), Status.Code.OK, System.nanoTime() - startNanos);
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
    String correlationId = currentCorrelationId;
    if (correlationId != null) {
      channel.replySlot.forget(correlationId);
    }
    channel.metrics.callCompleted(
        method.getFullMethodName(), status.getCode(), System.nanoTime() - startNanos);
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
