package io.corebus.samples.shop.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.samples.shop.inventory.api.InventoryServiceGrpc;
import io.corebus.samples.shop.inventory.api.Item;
import io.corebus.samples.shop.inventory.api.ReserveRequest;
import io.corebus.samples.shop.testkit.InMemoryBus;
import io.corebus.samples.shop.testkit.InMemoryPluginContext;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.lang.System.Logger.Level;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InventoryPluginTest {
  private final InMemoryBus bus = new InMemoryBus();
  private final InventoryServiceGrpc.InventoryServiceBlockingStub inventory =
      InventoryServiceGrpc.newBlockingStub(bus.channel("order"));

  @AfterEach
  void closeBus() throws Exception {
    bus.close();
  }

  private InMemoryPluginContext start(Map<String, String> config) throws Exception {
    return bus.start("inventory", new InventoryPlugin(), config);
  }

  private static ReserveRequest order(Object... skuAndQuantity) {
    ReserveRequest.Builder request = ReserveRequest.newBuilder().setOrderId("ord-1");
    for (int i = 0; i < skuAndQuantity.length; i += 2) {
      request.addItems(
          Item.newBuilder()
              .setSku((String) skuAndQuantity[i])
              .setQuantity((Integer) skuAndQuantity[i + 1]));
    }
    return request.build();
  }

  @Test
  void reservingTakesItemsOutOfTheConfiguredStock() throws Exception {
    InMemoryPluginContext context = start(Map.of("stock.apple", "10", "stock.pear", "2"));

    assertThat(inventory.reserve(order("apple", 3, "pear", 2)).getRemainingMap())
        .containsExactlyInAnyOrderEntriesOf(Map.of("apple", 7L, "pear", 0L));
    assertThat(context.metrics().gaugeValue("stock", "sku", "apple")).isEqualTo(7);
    assertThat(context.metrics().counterValue("reservations", "outcome", "reserved")).isEqualTo(1);
    assertThat(context.providedServices()).containsExactly("shop.inventory.InventoryService");
  }

  @Test
  void outOfStockIsResourceExhaustedAndReservesNothing() throws Exception {
    InMemoryPluginContext context = start(Map.of("stock.apple", "10", "stock.pear", "1"));

    assertThatThrownBy(() -> inventory.reserve(order("apple", 4, "pear", 1, "pear", 1, "fig", 1)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo(
                      "out of stock: fig (1 requested, 0 in stock), pear (2 requested, 1 in stock)");
            });
    assertThat(context.metrics().gaugeValue("stock", "sku", "apple")).isEqualTo(10);
    assertThat(context.metrics().gaugeValue("stock", "sku", "pear")).isEqualTo(1);
    assertThat(context.metrics().counterValue("reservations", "outcome", "out_of_stock"))
        .isEqualTo(1);
  }

  @Test
  void releasePutsBackWhatReserveTook() throws Exception {
    InMemoryPluginContext context = start(Map.of("stock.apple", "5"));
    inventory.reserve(order("apple", 5));

    inventory.release(order("apple", 5));

    assertThat(context.metrics().gaugeValue("stock", "sku", "apple")).isEqualTo(5);
    assertThat(inventory.reserve(order("apple", 5)).getRemainingMap()).containsEntry("apple", 0L);
  }

  @Test
  void malformedRequestsAreInvalidArgument() throws Exception {
    start(Map.of("stock.apple", "5"));

    assertThatThrownBy(() -> inventory.reserve(order()))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: a reservation needs at least one item");
    assertThatThrownBy(() -> inventory.reserve(order("apple", 0)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: quantity of apple must be positive, got 0");
    assertThatThrownBy(() -> inventory.release(order("", 1)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: every item needs a sku");
  }

  @Test
  void editingAStockKeyRestocksThatSkuAndKeepsTheOthersLevels() throws Exception {
    InMemoryPluginContext context = start(Map.of("stock.apple", "10", "stock.pear", "10"));
    inventory.reserve(order("apple", 4, "pear", 4));

    context.updateConfig(Map.of("stock.apple", "10", "stock.pear", "50", "stock.fig", "3"));

    assertThat(context.metrics().gaugeValue("stock", "sku", "apple")).isEqualTo(6);
    assertThat(context.metrics().gaugeValue("stock", "sku", "pear")).isEqualTo(50);
    assertThat(context.metrics().gaugeValue("stock", "sku", "fig")).isEqualTo(3);
    assertThat(inventory.reserve(order("fig", 3)).getRemainingMap()).containsEntry("fig", 0L);
    assertThat(context.logger().messages(Level.INFO))
        .containsSubsequence(
            "stock of pear set to 10", "stock of fig set to 3", "stock of pear set to 50");
  }

  @Test
  void anInvalidStockChangeIsLoggedAndChangesNothing() throws Exception {
    InMemoryPluginContext context = start(Map.of("stock.apple", "10"));

    context.updateConfig(Map.of("stock.apple", "20", "stock.pear", "-1"));

    assertThat(context.logger().messages(Level.WARNING))
        .containsExactly(
            "ignoring the configuration change: stock.pear must be a whole number of items, "
                + "0 or more, got '-1'");
    assertThat(context.metrics().gaugeValue("stock", "sku", "apple")).isEqualTo(10);
  }

  @Test
  void anInvalidStockAtStartFailsTheStartNamingTheKey() {
    assertThatThrownBy(() -> start(Map.of("stock.apple", "many")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stock.apple must be a whole number of items, 0 or more, got 'many'");
  }
}
