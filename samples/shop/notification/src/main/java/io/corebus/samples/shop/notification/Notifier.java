package io.corebus.samples.shop.notification;

import com.google.protobuf.InvalidProtocolBufferException;
import io.corebus.plugin.Event;
import io.corebus.plugin.PluginMetrics;
import io.corebus.samples.shop.order.api.OrderPlaced;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns {@code shop.order.OrderPlaced} events into notifications, once per event.
 *
 * <p>The bus delivers each event at least once: after a crash an event may come again, with the
 * same {@link Event#id()}. Remembering recent ids keeps a customer from being told twice.
 */
final class Notifier {
  static final String ORDER_PLACED = "shop.order.OrderPlaced";
  private static final int REMEMBERED_IDS = 10_000;

  private final Logger logger;
  private final PluginMetrics.Counter sent;
  private final PluginMetrics.Counter duplicates;
  private final Set<String> recentIds =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > REMEMBERED_IDS;
            }
          });

  Notifier(Logger logger, PluginMetrics metrics) {
    this.logger = logger;
    this.sent = metrics.counter("notifications", "outcome", "sent");
    this.duplicates = metrics.counter("notifications", "outcome", "duplicate");
  }

  /**
   * Handles one event.
   *
   * @throws InvalidProtocolBufferException when the payload is not an OrderPlaced: the runtime
   *     retries, then moves the event to the plug-in's dead-letter topic
   */
  void onOrderPlaced(Event event) throws InvalidProtocolBufferException {
    OrderPlaced order = OrderPlaced.parseFrom(event.payload());
    if (!firstDelivery(event.id())) {
      duplicates.increment();
      return;
    }
    logger.log(
        Level.INFO,
        "notified {0}: order {1} over {2} {3} is placed",
        order.getCustomerId(),
        order.getOrderId(),
        BigDecimal.valueOf(order.getTotalCents(), 2).toPlainString(),
        order.getCurrency());
    sent.increment();
  }

  private boolean firstDelivery(String eventId) {
    synchronized (recentIds) {
      return recentIds.add(eventId);
    }
  }
}
