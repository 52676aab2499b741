package io.corebus.plugin;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Minimal metrics for plug-in code. The runtime exports them in Prometheus format on {@code
 * /q/metrics}, prefixed with {@code corebus_plugin_} and tagged with the plug-in's name and
 * version. Tags are alternating keys and values: {@code counter("orders", "kind", "express")}.
 */
public interface PluginMetrics {

  Counter counter(String name, String... tags);

  Timer timer(String name, String... tags);

  /** Reports the supplier's current value whenever metrics are read. */
  void gauge(String name, Supplier<Number> value, String... tags);

  interface Counter {
    default void increment() {
      increment(1);
    }

    void increment(double amount);
  }

  interface Timer {
    void record(Duration duration);

    /** Runs the work and records how long it took, also when it throws. */
    default <T> T record(Supplier<T> work) {
      long start = System.nanoTime();
      try {
        return work.get();
      } finally {
        record(Duration.ofNanos(System.nanoTime() - start));
      }
    }
  }
}
