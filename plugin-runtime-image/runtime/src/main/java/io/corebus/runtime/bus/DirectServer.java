package io.corebus.runtime.bus;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.plugin.CallInfo;
import io.corebus.runtime.security.CallAudit;
import io.corebus.runtime.security.CallerKeys;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.HandlerRegistry;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The plug-in's services as plain gRPC on the pod's gRPC port, for routes whose transport is
 * hybrid: the same service implementations as on the bus, the same allowed-callers policy (the
 * caller names itself in the {@code corebus-caller} metadata key, as on the bus). Calls are counted
 * in the same metrics and telemetry as bus calls, tagged {@code transport=direct}, and a {@code
 * traceparent} key continues the caller's trace in the handler's outgoing calls.
 */
public final class DirectServer implements AutoCloseable {
  static final Metadata.Key<String> CALLER =
      Metadata.Key.of(BusHeaders.CALLER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CALLER_INSTANCE =
      Metadata.Key.of(BusHeaders.CALLER_INSTANCE, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> IDEMPOTENCY_KEY =
      Metadata.Key.of(BusHeaders.IDEMPOTENCY_KEY, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of(BusHeaders.TRACEPARENT, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> SIGNATURE =
      Metadata.Key.of(BusHeaders.SIGNATURE, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> CORRELATION_ID =
      Metadata.Key.of(BusHeaders.CORRELATION_ID, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> DEADLINE =
      Metadata.Key.of(BusHeaders.DEADLINE, Metadata.ASCII_STRING_MARSHALLER);

  private final Server server;
  // A registry rather than fixed services: a hot swap replaces the implementations in place.
  private final Handlers handlers = new Handlers();
  private final ServerInterceptor[] interceptors;

  /** {@code host} null: all interfaces. */
  public DirectServer(
      String host,
      int port,
      Collection<ServerServiceDefinition> services,
      AllowedCallers allowedCallers,
      Executor executor,
      BusMetrics metrics) {
    this(host, port, services, allowedCallers, executor, metrics, null, CallAudit.toLog(), "");
  }

  /**
   * With {@code keys} (a secured bus), a call whose signature does not prove its caller is denied
   * with PERMISSION_DENIED before the allowed-callers check; denials go to {@code audit}.
   */
  public DirectServer(
      String host,
      int port,
      Collection<ServerServiceDefinition> services,
      AllowedCallers allowedCallers,
      Executor executor,
      BusMetrics metrics,
      CallerKeys keys,
      CallAudit audit,
      String callee) {
    ServerBuilder<?> builder =
        (host == null
                ? Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
                : io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                    new java.net.InetSocketAddress(host, port), InsecureServerCredentials.create()))
            .executor(executor);
    ServerInterceptor policy = new CallerPolicy(allowedCallers, keys, audit, callee);
    ServerInterceptor trace = new TraceParent();
    ServerInterceptor measured = new Measured(metrics);
    // The last interceptor runs first: measure everything, denials included.
    this.interceptors = new ServerInterceptor[] {policy, trace, measured};
    replaceServices(services);
    this.server = builder.fallbackHandlerRegistry(handlers).build();
  }

  /**
   * Serves these implementations from now on, each replacing the one of the same service name;
   * calls already running finish on the implementation they started on.
   */
  public void replaceServices(Collection<ServerServiceDefinition> services) {
    for (ServerServiceDefinition service : services) {
      handlers.add(ServerInterceptors.intercept(service, interceptors));
    }
  }

  public DirectServer start() throws IOException {
    server.start();
    return this;
  }

  public int port() {
    return server.getPort();
  }

  /** Stops taking new calls; calls already running go on. */
  public void stopAccepting() {
    server.shutdown();
  }

  /** Waits for running calls up to {@code grace}, then cuts the rest. */
  public void awaitStopped(Duration grace) {
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    awaitStopped(Duration.ofSeconds(5));
  }

  /** The methods served now, replaceable while the server runs. */
  private static final class Handlers extends HandlerRegistry {
    private final Map<String, ServerServiceDefinition> services = new ConcurrentHashMap<>();

    void add(ServerServiceDefinition service) {
      services.put(service.getServiceDescriptor().getName(), service);
    }

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      String service = MethodDescriptor.extractFullServiceName(methodName);
      ServerServiceDefinition definition = service == null ? null : services.get(service);
      return definition == null ? null : definition.getMethod(methodName);
    }

    @Override
    public List<ServerServiceDefinition> getServices() {
      return List.copyOf(services.values());
    }
  }

  private static final class CallerPolicy implements ServerInterceptor {
    private final AllowedCallers allowed;
    private final CallerKeys keys;
    private final CallAudit audit;
    private final String callee;

    CallerPolicy(AllowedCallers allowed, CallerKeys keys, CallAudit audit, String callee) {
      this.allowed = allowed;
      this.keys = keys;
      this.audit = audit;
      this.callee = callee;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String service = call.getMethodDescriptor().getServiceName();
      String caller = headers.get(CALLER);
      if (keys != null && allowed.callersOf(service).isEmpty() && headers.get(SIGNATURE) == null) {
        // A service anyone may call is, on this port, also the front door for clients outside the
        // bus (grpcurl, a web front end), which cannot sign. They are served as anonymous: a
        // caller name they claim is dropped, so CallInfo.CALLER only ever names a proven caller.
        return Contexts.interceptCall(
            Context.current().withValue(CallInfo.CALLER, null), call, headers, next);
      }
      String problem = keys == null ? null : unproven(call, headers, caller);
      if (problem != null) {
        return deny(call, headers, caller, "caller not proven: " + problem);
      }
      if (!allowed.permits(service, caller)) {
        return deny(
            call,
            headers,
            caller,
            "plug-in "
                + caller
                + " may not call "
                + service
                + " (allowed: "
                + allowed.callersOf(service)
                + ")");
      }
      return next.startCall(call, headers);
    }

    /** Why the signature does not prove the caller, or null. Keys are not waited for here. */
    private String unproven(ServerCall<?, ?> call, Metadata headers, String caller) {
      String signature = headers.get(SIGNATURE);
      if (caller == null || signature == null) {
        return "the call is not signed";
      }
      long deadline;
      try {
        deadline = Long.parseLong(headers.get(DEADLINE));
      } catch (NumberFormatException e) {
        return "the call has no deadline";
      }
      if (deadline < System.currentTimeMillis()) {
        return "the signed deadline has passed";
      }
      java.security.PublicKey key = keys.current(caller);
      if (key == null) {
        return "no key is published for plug-in " + caller;
      }
      CallSignature.Claims claims =
          new CallSignature.Claims(
              caller,
              call.getMethodDescriptor().getFullMethodName(),
              headers.get(CORRELATION_ID),
              headers.get(IDEMPOTENCY_KEY),
              deadline,
              "",
              null);
      return CallSignature.verify(key, claims, signature)
          ? null
          : "the signature does not match plug-in " + caller + "'s key";
    }

    private <ReqT, RespT> ServerCall.Listener<ReqT> deny(
        ServerCall<ReqT, RespT> call, Metadata headers, String caller, String reason) {
      audit.denied(
          callee,
          caller,
          headers.get(CALLER_INSTANCE),
          call.getMethodDescriptor().getFullMethodName(),
          reason,
          BusMetrics.DIRECT,
          String.valueOf(call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
      call.close(
          Status.PERMISSION_DENIED.withDescription(
              "plug-in " + callee + " refused the call: " + reason),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
  }

  /** Puts the caller's trace context, name and idempotency key in the handler's context. */
  private static final class TraceParent implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      Context context =
          Context.current()
              .withValue(
                  TraceContext.TRACEPARENT, TraceContext.validOrNull(headers.get(TRACEPARENT)))
              .withValue(CallInfo.IDEMPOTENCY_KEY, headers.get(IDEMPOTENCY_KEY))
              .withValue(CallInfo.CALLER, headers.get(CALLER));
      return Contexts.interceptCall(context, call, headers, next);
    }
  }

  /** Counts and times each call when it closes. */
  private static final class Measured implements ServerInterceptor {
    private final BusMetrics metrics;

    Measured(BusMetrics metrics) {
      this.metrics = metrics;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      long started = System.nanoTime();
      String method = call.getMethodDescriptor().getFullMethodName();
      return next.startCall(
          new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
              metrics.requestHandled(
                  method, status.getCode().value(), System.nanoTime() - started, BusMetrics.DIRECT);
              super.close(status, trailers);
            }
          },
          headers);
    }
  }
}
