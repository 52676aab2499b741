package io.corebus.runtime.bus;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.plugin.CallInfo;
import io.corebus.runtime.security.CallAudit;
import io.corebus.runtime.security.CallerVerifier;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.jboss.logging.Logger;

/**
 * Handles request records: checks them, drops expired ones, runs the plug-in's service method with
 * the caller's deadline and trace context, and produces the reply to the caller's reply slot. The
 * returned future completes when the record is fully processed (reply acknowledged), which is when
 * its offset may be committed.
 */
public final class RpcServer {
  private static final Logger LOG = Logger.getLogger(RpcServer.class);
  static final Metadata.Key<String> CALLER_KEY =
      Metadata.Key.of(BusHeaders.CALLER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACEPARENT_KEY =
      Metadata.Key.of(BusHeaders.TRACEPARENT, Metadata.ASCII_STRING_MARSHALLER);

  private final ServiceRegistry registry;
  private final Producer<byte[], byte[]> producer;
  private final RuntimeIdentity identity;
  private final Executor workers;
  private final ScheduledExecutorService scheduler;
  private final CompletedCalls completed;
  private final Clock clock;
  private final BusMetrics metrics;
  private final AllowedCallers allowedCallers;
  private final CallerVerifier verifier;
  private final CallAudit audit;

  /**
   * A server that trusts the caller header (an unsecured bus), with its own idempotency window of
   * {@code idempotencyWindow}.
   */
  public RpcServer(
      ServiceRegistry registry,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Executor workers,
      ScheduledExecutorService scheduler,
      java.time.Duration idempotencyWindow,
      Clock clock,
      BusMetrics metrics,
      AllowedCallers allowedCallers) {
    this(
        registry,
        producer,
        identity,
        workers,
        scheduler,
        new CompletedCalls(idempotencyWindow),
        clock,
        metrics,
        allowedCallers,
        null,
        CallAudit.toLog());
  }

  /**
   * A server that, with a {@code verifier} (a secured bus), answers every call whose signature does
   * not prove its caller with {@code PERMISSION_DENIED}; denials go to {@code audit}. Repeated
   * idempotency keys are answered from {@code completed}, which the servers of one runtime share
   * (across hot-swapped versions).
   */
  public RpcServer(
      ServiceRegistry registry,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      Executor workers,
      ScheduledExecutorService scheduler,
      CompletedCalls completed,
      Clock clock,
      BusMetrics metrics,
      AllowedCallers allowedCallers,
      CallerVerifier verifier,
      CallAudit audit) {
    this.verifier = verifier;
    this.audit = audit;
    this.allowedCallers = allowedCallers;
    this.registry = registry;
    this.producer = producer;
    this.identity = identity;
    this.workers = workers;
    this.scheduler = scheduler;
    this.completed = completed;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Processes one request record; never completes exceptionally. */
  public CompletableFuture<Void> handle(ConsumerRecord<byte[], byte[]> record) {
    Headers h = record.headers();
    String correlationId = Records.header(h, BusHeaders.CORRELATION_ID);
    String replyTo = Records.header(h, BusHeaders.REPLY_TO);
    String method = Records.header(h, BusHeaders.METHOD);
    long deadline = Records.longHeader(h, BusHeaders.DEADLINE, -1);
    int replyPartition = (int) Records.longHeader(h, BusHeaders.REPLY_PARTITION, 0);
    if (correlationId == null || replyTo == null || method == null || deadline < 0) {
      // Nobody to answer: count it and move on, losing nothing else.
      LOG.warnf(
          "dropping a malformed request at %s-%d@%d: it lacks correlation id, reply slot, method"
              + " or deadline",
          record.topic(), record.partition(), record.offset());
      metrics.requestMalformed();
      return CompletableFuture.completedFuture(null);
    }
    long remaining = deadline - clock.millis();
    if (remaining <= 0) {
      metrics.requestExpired(method);
      return CompletableFuture.completedFuture(null);
    }
    String caller = Records.header(h, BusHeaders.CALLER);
    if (verifier != null) {
      CallSignature.Claims claims =
          new CallSignature.Claims(
              caller == null ? "" : caller,
              method,
              correlationId,
              Records.header(h, BusHeaders.IDEMPOTENCY_KEY),
              deadline,
              replyTo,
              record.value());
      String signature = Records.header(h, BusHeaders.SIGNATURE);
      // A verification takes about as long as a small handler (docs/benchmarks.md): on a worker,
      // not on the consumer's thread.
      return CompletableFuture.supplyAsync(() -> verifier.check(claims, signature), workers)
          .thenCompose(f -> f)
          .thenCompose(
              problem ->
                  problem == null
                      ? authorized(record, caller, correlationId, replyTo, replyPartition, deadline)
                      : deny(
                          record,
                          caller,
                          "caller not proven: " + problem,
                          correlationId,
                          replyTo,
                          replyPartition,
                          deadline));
    }
    return authorized(record, caller, correlationId, replyTo, replyPartition, deadline);
  }

  /** Answers PERMISSION_DENIED and writes the audit line. */
  private CompletableFuture<Void> deny(
      ConsumerRecord<byte[], byte[]> record,
      String caller,
      String reason,
      String correlationId,
      String replyTo,
      int replyPartition,
      long deadline) {
    String method = Records.header(record.headers(), BusHeaders.METHOD);
    metrics.requestHandled(method, Status.Code.PERMISSION_DENIED.value(), 0);
    audit.denied(
        identity.plugin(),
        caller,
        Records.header(record.headers(), BusHeaders.CALLER_INSTANCE),
        method,
        reason,
        BusMetrics.BUS,
        record.topic() + "-" + record.partition() + "@" + record.offset());
    Reply denied =
        Reply.error(
            Status.PERMISSION_DENIED.withDescription(
                "plug-in " + identity.plugin() + " refused the call: " + reason));
    return sendReply(denied, correlationId, replyTo, replyPartition, deadline, method);
  }

  /** The caller is proven (or trusted): checks allowedCallers, then runs the call. */
  private CompletableFuture<Void> authorized(
      ConsumerRecord<byte[], byte[]> record,
      String caller,
      String correlationId,
      String replyTo,
      int replyPartition,
      long deadline) {
    Headers h = record.headers();
    String method = Records.header(h, BusHeaders.METHOD);
    long remaining = deadline - clock.millis();
    if (remaining <= 0) {
      metrics.requestExpired(method);
      return CompletableFuture.completedFuture(null);
    }
    String service = MethodDescriptor.extractFullServiceName(method);
    if (service != null && !allowedCallers.permits(service, caller)) {
      return deny(
          record,
          caller,
          "plug-in "
              + caller
              + " may not call "
              + service
              + " (allowed: "
              + allowedCallers.callersOf(service)
              + ")",
          correlationId,
          replyTo,
          replyPartition,
          deadline);
    }
    String key = Records.header(h, BusHeaders.IDEMPOTENCY_KEY);
    CompletableFuture<Reply> mine = new CompletableFuture<>();
    CompletableFuture<Reply> earlier = key == null ? null : completed.claim(key, mine);
    CompletableFuture<Reply> outcome;
    if (earlier != null) {
      metrics.requestDeduplicated(method);
      outcome = earlier;
    } else {
      long started = System.nanoTime();
      workers.execute(
          () ->
              invoke(method, record, remaining)
                  .whenComplete(
                      (r, e) ->
                          mine.complete(e == null ? r : Reply.error(Status.fromThrowable(e)))));
      outcome =
          mine.whenComplete(
              (r, e) -> {
                metrics.requestHandled(method, r.code(), System.nanoTime() - started);
                if (key != null && r.code() == Status.Code.UNAVAILABLE.value()) {
                  // UNAVAILABLE means "did not run, try again": let the retry execute.
                  completed.forget(key);
                }
              });
    }
    return outcome.thenCompose(
        r -> sendReply(r, correlationId, replyTo, replyPartition, deadline, method));
  }

  private CompletableFuture<Reply> invoke(
      String fullMethod, ConsumerRecord<byte[], byte[]> record, long remainingMs) {
    ServerMethodDefinition<?, ?> definition = registry.method(fullMethod);
    if (definition == null) {
      return CompletableFuture.completedFuture(
          Reply.error(
              Status.UNIMPLEMENTED.withDescription(
                  "plug-in " + identity.plugin() + " does not implement " + fullMethod)));
    }
    return invoke(definition, record, remainingMs);
  }

  private <ReqT, RespT> CompletableFuture<Reply> invoke(
      ServerMethodDefinition<ReqT, RespT> definition,
      ConsumerRecord<byte[], byte[]> record,
      long remainingMs) {
    MethodDescriptor<ReqT, RespT> descriptor = definition.getMethodDescriptor();
    if (descriptor.getType() != MethodDescriptor.MethodType.UNARY) {
      return CompletableFuture.completedFuture(
          Reply.error(
              Status.UNIMPLEMENTED.withDescription(
                  descriptor.getFullMethodName()
                      + " is a streaming method; the bus carries unary calls (use a hybrid"
                      + " route)")));
    }
    ReqT request;
    try {
      request = descriptor.parseRequest(new ByteArrayInputStream(record.value()));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(
          Reply.error(Status.INTERNAL.withDescription("cannot parse the request: " + e)));
    }
    Metadata headers = new Metadata();
    String caller = Records.header(record.headers(), BusHeaders.CALLER);
    if (caller != null) {
      headers.put(CALLER_KEY, caller);
    }
    String traceparent =
        TraceContext.validOrNull(Records.header(record.headers(), BusHeaders.TRACEPARENT));
    if (traceparent != null) {
      headers.put(TRACEPARENT_KEY, traceparent);
    }
    BusServerCall<ReqT, RespT> call = new BusServerCall<>(descriptor);
    Context.CancellableContext context =
        Context.ROOT
            .withValue(TraceContext.TRACEPARENT, traceparent)
            .withValue(
                CallInfo.IDEMPOTENCY_KEY,
                Records.header(record.headers(), BusHeaders.IDEMPOTENCY_KEY))
            .withValue(CallInfo.CALLER, caller)
            .withDeadline(Deadline.after(remainingMs, TimeUnit.MILLISECONDS), scheduler);
    context.addListener(
        c -> {
          if (!call.reply().isDone()) {
            call.cancel();
            call.reply()
                .complete(
                    Reply.error(
                        Status.DEADLINE_EXCEEDED.withDescription(
                            "the call's deadline passed while "
                                + identity.plugin()
                                + " handled it")));
          }
        },
        Runnable::run);
    ServerCall.Listener<ReqT> listener;
    try {
      listener = Contexts.interceptCall(context, call, headers, definition.getServerCallHandler());
      listener.onMessage(request);
      listener.onHalfClose();
    } catch (StatusRuntimeException e) {
      call.close(e.getStatus(), new Metadata());
      listener = null;
    } catch (RuntimeException | LinkageError e) {
      LOG.debugf(e, "handler of %s threw", descriptor.getFullMethodName());
      call.close(
          Status.UNKNOWN
              .withDescription(e.getClass().getName() + ": " + e.getMessage())
              .withCause(e),
          new Metadata());
      listener = null;
    }
    ServerCall.Listener<ReqT> last = listener;
    return call.reply()
        .whenComplete(
            (r, e) -> {
              try {
                if (last != null) {
                  if (call.isCancelled()) {
                    last.onCancel();
                  } else {
                    last.onComplete();
                  }
                }
              } catch (RuntimeException ignored) {
                // the outcome is decided
              } finally {
                context.cancel(null);
              }
            });
  }

  private CompletableFuture<Void> sendReply(
      Reply reply,
      String correlationId,
      String replyTo,
      int partition,
      long deadline,
      String method) {
    if (clock.millis() > deadline) {
      return CompletableFuture.completedFuture(null); // the caller stopped waiting
    }
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(replyTo, partition, null, reply.body());
    Headers h = record.headers();
    Records.put(h, BusHeaders.PROTOCOL, BusHeaders.PROTOCOL_VERSION);
    Records.put(h, BusHeaders.CORRELATION_ID, correlationId);
    Records.put(h, BusHeaders.STATUS, Integer.toString(reply.code()));
    Records.put(h, BusHeaders.STATUS_MESSAGE, reply.message());
    Records.put(h, BusHeaders.CALLEE, identity.plugin());
    Records.put(h, BusHeaders.CALLEE_VERSION, identity.version());
    CompletableFuture<Void> sent = new CompletableFuture<>();
    try {
      producer.send(
          record,
          (md, e) -> {
            if (e != null) {
              LOG.warnf("cannot send the reply to %s for %s: %s", replyTo, method, e);
            }
            sent.complete(null);
          });
    } catch (RuntimeException e) {
      LOG.warnf("cannot send the reply to %s for %s: %s", replyTo, method, e);
      sent.complete(null);
    }
    return sent;
  }
}
