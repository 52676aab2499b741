package io.corebus.samples.shop.inventory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/** Stock levels by SKU. Thread-safe: calls arrive on several worker threads at once. */
final class Stock {
  private final Map<String, Long> levels = new HashMap<>();

  /** Thrown by {@link #reserve} when some SKU has too few items; nothing was taken then. */
  static final class OutOfStockException extends Exception {
    OutOfStockException(String shortages) {
      super(shortages);
    }
  }

  /**
   * Takes every requested quantity, or none when one SKU has too few.
   *
   * @param wanted quantity per SKU, each positive
   * @return what is left of each requested SKU
   */
  synchronized Map<String, Long> reserve(Map<String, Long> wanted) throws OutOfStockException {
    StringJoiner shortages = new StringJoiner(", ");
    wanted.forEach(
        (sku, quantity) -> {
          long level = level(sku);
          if (level < quantity) {
            shortages.add(sku + " (" + quantity + " requested, " + level + " in stock)");
          }
        });
    if (shortages.length() > 0) {
      throw new OutOfStockException(shortages.toString());
    }
    Map<String, Long> remaining = new LinkedHashMap<>();
    wanted.forEach((sku, quantity) -> remaining.put(sku, levels.merge(sku, -quantity, Long::sum)));
    return remaining;
  }

  /** Puts back what {@link #reserve} took. */
  synchronized void release(Map<String, Long> items) {
    items.forEach((sku, quantity) -> levels.merge(sku, quantity, Long::sum));
  }

  synchronized void set(String sku, long level) {
    levels.put(sku, level);
  }

  /** The SKU's level; 0 for a SKU never stocked. */
  synchronized long level(String sku) {
    return levels.getOrDefault(sku, 0L);
  }
}
