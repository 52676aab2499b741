package io.corebus.runtime.bus;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/** String-valued Kafka headers, as the bus protocol uses them. */
final class Records {
  private Records() {}

  static String header(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static long longHeader(Headers headers, String key, long missing) {
    String v = header(headers, key);
    if (v == null) {
      return missing;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return missing;
    }
  }

  static void put(Headers headers, String key, String value) {
    if (value != null) {
      headers.remove(key);
      headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
  }
}
