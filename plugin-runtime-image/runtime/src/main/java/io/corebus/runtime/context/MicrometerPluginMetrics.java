package io.corebus.runtime.context;

import io.corebus.plugin.PluginMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.function.Supplier;

/** {@link PluginMetrics} on Micrometer: names prefixed {@code corebus.plugin.}, tagged plugin. */
public final class MicrometerPluginMetrics implements PluginMetrics {
  private final MeterRegistry registry;
  private final Tags common;

  public MicrometerPluginMetrics(MeterRegistry registry, String plugin, String version) {
    this.registry = registry;
    this.common = Tags.of("plugin", plugin, "version", version);
  }

  private Tags tags(String... keyValues) {
    if (keyValues.length % 2 != 0) {
      throw new IllegalArgumentException("tags are key/value pairs: got an odd count");
    }
    return common.and(keyValues);
  }

  private static String name(String name) {
    return "corebus.plugin." + name;
  }

  @Override
  public Counter counter(String name, String... tags) {
    io.micrometer.core.instrument.Counter c = registry.counter(name(name), tags(tags));
    return c::increment;
  }

  @Override
  public Timer timer(String name, String... tags) {
    io.micrometer.core.instrument.Timer t = registry.timer(name(name), tags(tags));
    return t::record;
  }

  @Override
  public void gauge(String name, Supplier<Number> value, String... tags) {
    Gauge.builder(name(name), value, v -> v.get().doubleValue())
        .tags(tags(tags))
        .strongReference(true)
        .register(registry);
  }
}
