package io.corebus.samples.shop.order;

import io.corebus.plugin.Plugin;
import io.corebus.plugin.PluginContext;
import io.corebus.plugin.Registration;
import java.lang.System.Logger.Level;

/**
 * Serves {@code shop.order.OrderService}: reserves with {@code shop.inventory.InventoryService},
 * charges with {@code shop.payment.PaymentService}, publishes {@code shop.order.OrderPlaced}. It
 * reaches them by service name through the bus, never by address.
 *
 * <p>Configuration: {@code inventoryDeadlineMs} (default 1000) and {@code paymentDeadlineMs}
 * (default 2000), how long to wait for each. Changes apply to the next order; an invalid change is
 * logged and ignored, an invalid value at start fails the start.
 */
public final class OrderPlugin implements Plugin {
  public static final String VERSION = "1.0.0";

  private Registration configListener;

  @Override
  public void start(PluginContext context) {
    OrderService service = new OrderService(context, OrderSettings.from(context.config().asMap()));
    context.registerService(service);
    configListener =
        context
            .config()
            .onChange(
                config -> {
                  try {
                    OrderSettings settings = OrderSettings.from(config);
                    service.useSettings(settings);
                    context.logger().log(Level.INFO, "order settings now {0}", settings);
                  } catch (IllegalArgumentException e) {
                    context
                        .logger()
                        .log(
                            Level.WARNING,
                            "ignoring the configuration change, keeping the previous settings: {0}",
                            e.getMessage());
                  }
                });
  }

  @Override
  public void stop() {
    if (configListener != null) {
      configListener.close();
    }
  }

  @Override
  public String version() {
    return VERSION;
  }
}
