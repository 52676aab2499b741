package io.corebus.samples.shop.order;

import java.util.Map;

/** How long order waits for the services it calls, read from the plug-in's configuration. */
record OrderSettings(long inventoryDeadlineMs, long paymentDeadlineMs) {
  static final String INVENTORY_DEADLINE_MS = "inventoryDeadlineMs";
  static final String PAYMENT_DEADLINE_MS = "paymentDeadlineMs";

  /**
   * @throws IllegalArgumentException naming the key and the value when one is invalid
   */
  static OrderSettings from(Map<String, String> config) {
    return new OrderSettings(
        millis(config, INVENTORY_DEADLINE_MS, "1000"), millis(config, PAYMENT_DEADLINE_MS, "2000"));
  }

  private static long millis(Map<String, String> config, String key, String defaultValue) {
    String value = config.getOrDefault(key, defaultValue);
    long millis;
    try {
      millis = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      millis = 0;
    }
    if (millis <= 0) {
      throw new IllegalArgumentException(
          key + " must be a positive number of milliseconds, got '" + value + "'");
    }
    return millis;
  }
}
