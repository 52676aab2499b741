package io.corebus.samples.shop.testkit;

import io.corebus.plugin.EventHandler;
import io.corebus.plugin.PluginContext;
import io.grpc.BindableService;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link PluginContext} backed by an {@link InMemoryBus}: what a plug-in sees in a unit test. It
 * keeps the runtime's rules (registration only during {@code start}) and lets the test drive and
 * inspect the rest: {@link #updateConfig}, {@link #metrics()}, {@link #logger()}, {@link
 * #providedServices()}, {@link #subscribedEventTypes()}.
 */
public final class InMemoryPluginContext implements PluginContext {
  private final InMemoryBus bus;
  private final String pluginName;
  private final InMemoryConfig config;
  private final RecordingLogger logger;
  private final InMemoryMetrics metrics = new InMemoryMetrics();
  private final Channel channel;
  private final List<String> provided = new ArrayList<>();
  private final List<String> subscribed = new ArrayList<>();
  private volatile boolean registrationOpen = true;

  InMemoryPluginContext(InMemoryBus bus, String pluginName, Map<String, String> config) {
    this.bus = bus;
    this.pluginName = pluginName;
    this.config = new InMemoryConfig(config);
    this.logger = new RecordingLogger(pluginName);
    this.channel = bus.channel(pluginName);
  }

  @Override
  public String pluginName() {
    return pluginName;
  }

  @Override
  public String namespace() {
    return "test";
  }

  @Override
  public InMemoryConfig config() {
    return config;
  }

  /** Replaces the configuration and calls the plug-in's listeners, as a Plugin edit would. */
  public void updateConfig(Map<String, String> next) {
    config.update(next);
  }

  @Override
  public RecordingLogger logger() {
    return logger;
  }

  @Override
  public InMemoryMetrics metrics() {
    return metrics;
  }

  @Override
  public Channel channel() {
    return channel;
  }

  @Override
  public synchronized void registerService(BindableService service) {
    checkRegistrationOpen("registerService");
    provided.add(bus.serve(pluginName, service));
  }

  @Override
  public void publish(String eventType, byte[] payload) {
    bus.publish(pluginName, eventType, payload);
  }

  @Override
  public synchronized void subscribe(String eventType, EventHandler handler) {
    checkRegistrationOpen("subscribe");
    bus.subscribe(pluginName, eventType, handler);
    subscribed.add(eventType);
  }

  /** Full names of the services the plug-in registered in {@code start}. */
  public synchronized List<String> providedServices() {
    return List.copyOf(provided);
  }

  /** Event types the plug-in subscribed to in {@code start}. */
  public synchronized List<String> subscribedEventTypes() {
    return List.copyOf(subscribed);
  }

  void closeRegistration() {
    registrationOpen = false;
  }

  private void checkRegistrationOpen(String method) {
    if (!registrationOpen) {
      throw new IllegalStateException(method + " may only be called during Plugin.start");
    }
  }
}
