package io.corebus.samples.shop.testkit;

import io.corebus.plugin.Event;
import io.corebus.plugin.EventHandler;
import io.corebus.plugin.Plugin;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Several plug-ins in one JVM, wired the way the Corebus runtime wires them, for unit tests.
 *
 * <ul>
 *   <li>Calls: every plug-in's {@link InMemoryPluginContext#channel()} is a real in-process gRPC
 *       channel to the services the plug-ins registered, so stubs, deadlines and status codes
 *       behave as on the bus. A service nobody provides answers {@code NOT_FOUND}, as on the bus.
 *       Each call carries the caller's name, and the bus remembers who called which service.
 *   <li>Events: {@code publish} delivers to every subscribing plug-in once, synchronously on the
 *       publisher's thread (so tests need not wait). A handler that throws does not reach the
 *       publisher: the event is recorded as a {@linkplain #deadLetters() dead letter}, as the
 *       runtime does after its retries.
 * </ul>
 *
 * <pre>{@code
 * try (var bus = new InMemoryBus()) {
 *   bus.start("payment", new PaymentPlugin(), Map.of("maxAmountCents", "5000"));
 *   var payments = PaymentServiceGrpc.newBlockingStub(bus.channel("test"));
 *   ...
 * }
 * }</pre>
 */
public final class InMemoryBus implements AutoCloseable {
  /** The metadata key the runtime uses for the calling plug-in's name. */
  public static final Metadata.Key<String> CALLER =
      Metadata.Key.of("corebus-caller", Metadata.ASCII_STRING_MARSHALLER);

  private final String name = "corebus-test-bus-" + UUID.randomUUID();
  private final Map<String, Provided> services = new ConcurrentHashMap<>();
  private final Map<String, List<Subscription>> subscriptions = new ConcurrentHashMap<>();
  private final List<Event> published = new CopyOnWriteArrayList<>();
  private final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();
  private final Set<Call> calls = ConcurrentHashMap.newKeySet();
  private final List<Started> started = new CopyOnWriteArrayList<>();
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Server server;
  private final ManagedChannel channel;

  /** A plug-in's call of a service, as seen by the bus. */
  public record Call(String caller, String service) {}

  /** An event a subscriber's handler failed on. */
  public record DeadLetter(String subscriber, Event event, Exception error) {}

  private record Provided(String plugin, ServerServiceDefinition definition) {}

  private record Subscription(String plugin, EventHandler handler) {}

  private record Started(Plugin plugin, InMemoryPluginContext context) {}

  public InMemoryBus() {
    try {
      server =
          InProcessServerBuilder.forName(name)
              .executor(executor)
              .fallbackHandlerRegistry(new Registry())
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = InProcessChannelBuilder.forName(name).executor(executor).build();
  }

  /**
   * Creates a context, calls {@code plugin.start(context)} and closes registration, as the runtime
   * does. The plug-in is stopped by {@link #close()}.
   *
   * @throws Exception whatever {@code start} threw
   */
  public InMemoryPluginContext start(String pluginName, Plugin plugin, Map<String, String> config)
      throws Exception {
    InMemoryPluginContext context = new InMemoryPluginContext(this, pluginName, config);
    plugin.start(context);
    context.closeRegistration();
    started.add(new Started(plugin, context));
    return context;
  }

  /** A channel whose calls name {@code caller} as the calling plug-in. */
  public Channel channel(String caller) {
    ClientInterceptor naming =
        new ClientInterceptor() {
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
    return ClientInterceptors.intercept(channel, naming);
  }

  /**
   * Serves a service for {@code pluginName} without a plug-in around it, e.g. a test double.
   *
   * @return the service's full name
   * @throws IllegalStateException when another plug-in already provides it
   */
  public String serve(String pluginName, BindableService service) {
    ServerServiceDefinition definition = service.bindService();
    String serviceName = definition.getServiceDescriptor().getName();
    Provided previous =
        services.putIfAbsent(
            serviceName, new Provided(pluginName, ServerSide.recordingCalls(definition, this)));
    if (previous != null) {
      throw new IllegalStateException(
          serviceName + " is already provided by " + previous.plugin() + "; not by " + pluginName);
    }
    return serviceName;
  }

  /** Removes a plug-in's services, as when it is undeployed: calls then get NOT_FOUND. */
  public void withdraw(String pluginName) {
    services.values().removeIf(p -> p.plugin().equals(pluginName));
  }

  void subscribe(String pluginName, String eventType, EventHandler handler) {
    subscriptions
        .computeIfAbsent(eventType, t -> new CopyOnWriteArrayList<>())
        .add(new Subscription(pluginName, handler));
  }

  /**
   * Publishes an event as plug-in {@code source} would, delivering it to the subscribers before
   * returning.
   *
   * @return the event, with its new id
   */
  public Event publish(String source, String eventType, byte[] payload) {
    Event event =
        new Event(eventType, UUID.randomUUID().toString(), source, Instant.now(), payload.clone());
    published.add(event);
    deliver(event);
    return event;
  }

  /** Delivers an already published event again, as after a subscriber crashed mid-way. */
  public void redeliver(Event event) {
    deliver(event);
  }

  private void deliver(Event event) {
    for (Subscription s : subscriptions.getOrDefault(event.type(), List.of())) {
      try {
        s.handler().handle(event);
      } catch (Exception e) {
        deadLetters.add(new DeadLetter(s.plugin(), event, e));
      }
    }
  }

  /** Every event published so far with this type, oldest first. */
  public List<Event> published(String eventType) {
    return published.stream().filter(e -> e.type().equals(eventType)).toList();
  }

  public List<DeadLetter> deadLetters() {
    return List.copyOf(deadLetters);
  }

  /** Every (caller, service) pair seen so far; calls from {@link #channel} name their caller. */
  public Set<Call> calls() {
    return Set.copyOf(calls);
  }

  void recordCall(String caller, String service) {
    calls.add(new Call(caller == null ? "" : caller, service));
  }

  /** Stops the started plug-ins in reverse order, then the channel and server. */
  @Override
  public void close() throws Exception {
    List<Started> reversed = new ArrayList<>(started);
    Collections.reverse(reversed);
    Exception failure = null;
    for (Started s : reversed) {
      try {
        s.plugin().stop();
      } catch (Exception e) {
        failure = e;
      }
    }
    channel.shutdownNow();
    server.shutdownNow();
    executor.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
    server.awaitTermination(5, TimeUnit.SECONDS);
    if (failure != null) {
      throw failure;
    }
  }

  /** Looks services up at call time, so plug-ins can register while the server runs. */
  private final class Registry extends HandlerRegistry {
    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
      String service = MethodDescriptor.extractFullServiceName(methodName);
      Provided provided = service == null ? null : services.get(service);
      if (provided == null) {
        return ServerSide.failing(
            methodName,
            Status.NOT_FOUND.withDescription("no plug-in provides the service " + service));
      }
      ServerMethodDefinition<?, ?> method = provided.definition().getMethod(methodName);
      if (method == null) {
        return ServerSide.failing(
            methodName,
            Status.UNIMPLEMENTED.withDescription(
                provided.plugin() + " does not implement " + methodName));
      }
      return method;
    }
  }

  /** The server side's pieces: call recording, and methods that only fail. */
  private static final class ServerSide {
    private static final MethodDescriptor.Marshaller<InputStream> RAW =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(InputStream value) {
            return value;
          }

          @Override
          public InputStream parse(InputStream stream) {
            return stream;
          }
        };

    static ServerServiceDefinition recordingCalls(ServerServiceDefinition def, InMemoryBus bus) {
      ServerInterceptor recording =
          new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
              bus.recordCall(headers.get(CALLER), call.getMethodDescriptor().getServiceName());
              return next.startCall(call, headers);
            }
          };
      return ServerInterceptors.intercept(def, recording);
    }

    static ServerMethodDefinition<InputStream, InputStream> failing(
        String methodName, Status status) {
      MethodDescriptor<InputStream, InputStream> method =
          MethodDescriptor.newBuilder(RAW, RAW)
              .setType(MethodDescriptor.MethodType.UNKNOWN)
              .setFullMethodName(methodName)
              .build();
      return ServerMethodDefinition.create(
          method,
          (call, headers) -> {
            call.close(status, new Metadata());
            return new ServerCall.Listener<>() {};
          });
    }
  }
}
