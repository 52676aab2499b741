package io.corebus.runtime.context;

import io.corebus.plugin.EventHandler;
import io.corebus.plugin.PluginConfig;
import io.corebus.plugin.PluginContext;
import io.corebus.plugin.PluginMetrics;
import io.corebus.runtime.bus.EventBus;
import io.corebus.runtime.bus.ServiceRegistry;
import io.grpc.BindableService;
import io.grpc.Channel;
import java.util.Objects;

/** The context handed to the plug-in's start(): its view of the runtime and the bus. */
public final class RuntimePluginContext implements PluginContext {
  private final String pluginName;
  private final String namespace;
  private final PluginConfig config;
  private final PluginMetrics metrics;
  private final Channel channel;
  private final ServiceRegistry services;
  private final EventBus events;
  private final System.Logger logger;
  private volatile boolean registrationOpen = true;

  public RuntimePluginContext(
      String pluginName,
      String namespace,
      PluginConfig config,
      PluginMetrics metrics,
      Channel channel,
      ServiceRegistry services,
      EventBus events) {
    this.pluginName = pluginName;
    this.namespace = namespace;
    this.config = config;
    this.metrics = metrics;
    this.channel = channel;
    this.services = services;
    this.events = events;
    this.logger = System.getLogger("corebus.plugin." + pluginName);
  }

  /** After start() returned: services and subscriptions are fixed from now on. */
  public void closeRegistration() {
    registrationOpen = false;
  }

  private void requireOpen(String what) {
    if (!registrationOpen) {
      throw new IllegalStateException(what + " is only possible during Plugin.start()");
    }
  }

  @Override
  public String pluginName() {
    return pluginName;
  }

  @Override
  public String namespace() {
    return namespace;
  }

  @Override
  public PluginConfig config() {
    return config;
  }

  @Override
  public System.Logger logger() {
    return logger;
  }

  @Override
  public PluginMetrics metrics() {
    return metrics;
  }

  @Override
  public Channel channel() {
    return channel;
  }

  @Override
  public void registerService(BindableService service) {
    Objects.requireNonNull(service, "service");
    requireOpen("registerService");
    services.register(service);
  }

  @Override
  public void publish(String eventType, byte[] payload) {
    events.publish(Objects.requireNonNull(eventType, "eventType"), payload);
  }

  @Override
  public void subscribe(String eventType, EventHandler handler) {
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(handler, "handler");
    requireOpen("subscribe");
    events.subscribe(eventType, handler);
  }
}
