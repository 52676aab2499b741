package io.corebus.samples.shop.inventory;

import java.util.Map;
import java.util.TreeMap;

/** Reads {@code stock.<sku>: <count>} entries from the plug-in's configuration. */
final class StockConfig {
  static final String PREFIX = "stock.";

  private StockConfig() {}

  /**
   * @return the configured level of each SKU, sorted by SKU
   * @throws IllegalArgumentException naming the key when a count is not a whole number >= 0
   */
  static Map<String, Long> parse(Map<String, String> config) {
    Map<String, Long> levels = new TreeMap<>();
    config.forEach(
        (key, value) -> {
          if (!key.startsWith(PREFIX) || key.length() == PREFIX.length()) {
            return;
          }
          long level;
          try {
            level = Long.parseLong(value.trim());
          } catch (NumberFormatException e) {
            level = -1;
          }
          if (level < 0) {
            throw new IllegalArgumentException(
                key + " must be a whole number of items, 0 or more, got '" + value + "'");
          }
          levels.put(key.substring(PREFIX.length()), level);
        });
    return levels;
  }
}
