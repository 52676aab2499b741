package io.corebus.samples.shop.inventory;

import io.corebus.plugin.Plugin;
import io.corebus.plugin.PluginContext;
import io.corebus.plugin.Registration;
import java.lang.System.Logger.Level;
import java.util.Map;

/**
 * Serves {@code shop.inventory.InventoryService} over in-memory stock levels.
 *
 * <p>Configuration: {@code stock.<sku>: <count>} sets the stock of a SKU at start. Editing one of
 * those keys while running restocks that SKU to the new count (a restock without a restart); SKUs
 * whose key did not change keep their current level, and removing a key leaves the level as it is.
 *
 * <p>Each replica keeps its own levels, in memory: this is a sample, not a database. Its Plugin
 * runs one replica.
 */
public final class InventoryPlugin implements Plugin {
  public static final String VERSION = "1.0.0";

  private Registration configListener;

  @Override
  public void start(PluginContext context) {
    Map<String, Long> initial = StockConfig.parse(context.config().asMap());
    Stock stock = new Stock();
    Restocking restocking = new Restocking(stock, context, initial);
    context.registerService(new InventoryService(stock, context.metrics()));
    configListener = context.config().onChange(restocking::apply);
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

  /** Applies the configured levels: all of them at start, then the ones a change touches. */
  private static final class Restocking {
    private final Stock stock;
    private final PluginContext context;
    private Map<String, Long> configured = Map.of();

    Restocking(Stock stock, PluginContext context, Map<String, Long> initial) {
      this.stock = stock;
      this.context = context;
      set(initial);
    }

    void apply(Map<String, String> config) {
      Map<String, Long> next;
      try {
        next = StockConfig.parse(config);
      } catch (IllegalArgumentException e) {
        context
            .logger()
            .log(Level.WARNING, "ignoring the configuration change: {0}", e.getMessage());
        return;
      }
      set(next);
    }

    // Called by one thread at a time (start, then the runtime's config thread).
    private void set(Map<String, Long> next) {
      next.forEach(
          (sku, level) -> {
            if (!level.equals(configured.get(sku))) {
              stock.set(sku, level);
              context.metrics().gauge("stock", () -> stock.level(sku), "sku", sku);
              context
                  .logger()
                  .log(Level.INFO, "stock of {0} set to {1}", sku, Long.toString(level));
            }
          });
      configured = next;
    }
  }
}
