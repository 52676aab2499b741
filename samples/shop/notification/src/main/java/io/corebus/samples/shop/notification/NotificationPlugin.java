package io.corebus.samples.shop.notification;

import io.corebus.plugin.Plugin;
import io.corebus.plugin.PluginContext;

/**
 * Subscribes to {@code shop.order.OrderPlaced} and notifies the customer. Here a notification is a
 * log line and the metric {@code notifications{outcome="sent"}}; a real one would send a mail.
 * Provides no service: it only reacts to events.
 */
public final class NotificationPlugin implements Plugin {
  public static final String VERSION = "1.0.0";

  @Override
  public void start(PluginContext context) {
    Notifier notifier = new Notifier(context.logger(), context.metrics());
    context.subscribe(Notifier.ORDER_PLACED, notifier::onOrderPlaced);
  }

  @Override
  public void stop() {}

  @Override
  public String version() {
    return VERSION;
  }
}
