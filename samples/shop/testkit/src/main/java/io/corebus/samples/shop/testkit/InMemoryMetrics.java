package io.corebus.samples.shop.testkit;

import io.corebus.plugin.PluginMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Metrics a test can read back. Like the runtime's, asking twice for the same name and tags gives
 * the same counter, and the first gauge registered for a name and tags wins.
 */
public final class InMemoryMetrics implements PluginMetrics {
  private final Map<String, DoubleAdder> counters = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> timers = new ConcurrentHashMap<>();
  private final Map<String, Supplier<Number>> gauges = new ConcurrentHashMap<>();

  @Override
  public Counter counter(String name, String... tags) {
    DoubleAdder adder = counters.computeIfAbsent(key(name, tags), k -> new DoubleAdder());
    return adder::add;
  }

  @Override
  public Timer timer(String name, String... tags) {
    LongAdder count = timers.computeIfAbsent(key(name, tags), k -> new LongAdder());
    return (Duration duration) -> count.increment();
  }

  @Override
  public void gauge(String name, Supplier<Number> value, String... tags) {
    gauges.putIfAbsent(key(name, tags), value);
  }

  /** The counter's total, 0 when it was never created. */
  public double counterValue(String name, String... tags) {
    DoubleAdder adder = counters.get(key(name, tags));
    return adder == null ? 0 : adder.sum();
  }

  /** How many durations the timer recorded. */
  public long timerCount(String name, String... tags) {
    LongAdder count = timers.get(key(name, tags));
    return count == null ? 0 : count.sum();
  }

  /**
   * The gauge's current value.
   *
   * @throws IllegalArgumentException when no such gauge was registered
   */
  public double gaugeValue(String name, String... tags) {
    Supplier<Number> gauge = gauges.get(key(name, tags));
    if (gauge == null) {
      throw new IllegalArgumentException(
          "no gauge " + key(name, tags) + "; registered: " + gauges.keySet());
    }
    return gauge.get().doubleValue();
  }

  private static String key(String name, String... tags) {
    if (tags.length % 2 != 0) {
      throw new IllegalArgumentException(
          "tags are key/value pairs, got an odd count: " + List.of(tags));
    }
    return tags.length == 0 ? name : name + List.of(tags);
  }
}
