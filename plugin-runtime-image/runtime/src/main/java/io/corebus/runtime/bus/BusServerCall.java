package io.corebus.runtime.bus;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * The server side of one unary call that arrived over the bus: what a gRPC transport would be for
 * the plug-in's generated service base. It collects the response message and completes {@link
 * #reply()} when the handler closes the call.
 */
final class BusServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
  private final MethodDescriptor<ReqT, RespT> method;
  private final CompletableFuture<Reply> reply = new CompletableFuture<>();
  private volatile byte[] response;
  private volatile boolean cancelled;

  BusServerCall(MethodDescriptor<ReqT, RespT> method) {
    this.method = method;
  }

  CompletableFuture<Reply> reply() {
    return reply;
  }

  void cancel() {
    cancelled = true;
  }

  @Override
  public void request(int numMessages) {
    // the one request message is pushed by the dispatcher
  }

  @Override
  public void sendHeaders(Metadata headers) {
    // headers do not travel on the bus
  }

  @Override
  public void sendMessage(RespT message) {
    if (response != null) {
      throw new IllegalStateException("a unary call has one response");
    }
    try (InputStream in = method.streamResponse(message)) {
      response = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close(Status status, Metadata trailers) {
    if (status.isOk() && response == null) {
      status = Status.INTERNAL.withDescription("the handler completed without a response");
    }
    reply.complete(status.isOk() ? Reply.ok(response) : Reply.error(status));
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public boolean isReady() {
    return true;
  }

  @Override
  public Attributes getAttributes() {
    return Attributes.EMPTY;
  }

  @Override
  public String getAuthority() {
    return null;
  }

  @Override
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return method;
  }
}
