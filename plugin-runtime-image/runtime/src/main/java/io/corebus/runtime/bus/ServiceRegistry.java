package io.corebus.runtime.bus;

import io.grpc.BindableService;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The gRPC services a plug-in registered, by full service and method name. */
public final class ServiceRegistry {
  private final Map<String, ServerServiceDefinition> services = new ConcurrentHashMap<>();
  private final Map<String, ServerMethodDefinition<?, ?>> methods = new ConcurrentHashMap<>();

  /** Adds a service; a second implementation of the same service is refused. */
  public void register(BindableService service) {
    register(service.bindService());
  }

  public synchronized void register(ServerServiceDefinition definition) {
    String name = definition.getServiceDescriptor().getName();
    if (services.containsKey(name)) {
      throw new IllegalArgumentException("service " + name + " is already registered");
    }
    services.put(name, definition);
    for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
      methods.put(m.getMethodDescriptor().getFullMethodName(), m);
    }
  }

  public ServerMethodDefinition<?, ?> method(String fullMethodName) {
    return methods.get(fullMethodName);
  }

  /** The definitions of the named services (for the direct gRPC server). */
  public java.util.List<ServerServiceDefinition> definitions(Set<String> names) {
    return names.stream().map(services::get).filter(java.util.Objects::nonNull).toList();
  }

  public Set<String> serviceNames() {
    return Set.copyOf(services.keySet());
  }
}
