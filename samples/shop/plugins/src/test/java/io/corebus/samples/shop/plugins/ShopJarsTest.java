package io.corebus.samples.shop.plugins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.crds.ProvidedService;
import io.corebus.plugin.Event;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderReply;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.corebus.samples.shop.testkit.InMemoryBus;
import io.corebus.samples.shop.testkit.InMemoryPluginContext;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The built plug-in jars, each in its own class loader that sees only the runtime's shared
 * packages, run the shop end to end; and what they do matches what their YAMLs declare.
 */
class ShopJarsTest {
  private final List<PluginJar> jars = new ArrayList<>();
  private final Map<String, InMemoryPluginContext> contexts = new LinkedHashMap<>();
  private InMemoryBus bus;

  @BeforeEach
  void startTheShopFromItsJars() throws Exception {
    bus = new InMemoryBus();
    for (String name : List.of("inventory", "payment", "order", "notification")) {
      ShopPlugin yaml = ShopPlugin.named(name);
      PluginJar jar = PluginJar.open(yaml.localJar());
      jars.add(jar);
      Map<String, String> config = yaml.plugin().getSpec().getConfig();
      contexts.put(name, bus.start(name, jar.plugin(), config == null ? Map.of() : config));
    }
  }

  @AfterEach
  void stopTheShop() throws Exception {
    bus.close();
    for (PluginJar jar : jars) {
      jar.close();
    }
  }

  private static PlaceOrderRequest order(String sku, int quantity, long unitPriceCents) {
    return PlaceOrderRequest.newBuilder()
        .setCustomerId("alice")
        .addLines(
            OrderLine.newBuilder()
                .setSku(sku)
                .setQuantity(quantity)
                .setUnitPriceCents(unitPriceCents))
        .build();
  }

  @Test
  void jarsCarryTheirPluginAndContractsButNothingTheRuntimeShares() throws Exception {
    for (ShopPlugin p : ShopPlugin.all()) {
      try (JarFile jar = new JarFile(p.localJar().toFile())) {
        List<String> entries = jar.stream().map(JarEntry::getName).toList();
        assertThat(entries)
            .as(p.localJar().toString())
            .contains("META-INF/services/io.corebus.plugin.Plugin")
            .anyMatch(e -> e.startsWith("io/corebus/samples/shop/" + p.name() + "/"))
            .noneMatch(e -> PluginJarClassLoader.isShared(e.replace('/', '.')));
      }
    }
  }

  @Test
  void anOrderPlacedThroughTheJarsIsChargedReservedAndNotified() {
    var orders = OrderServiceGrpc.newBlockingStub(bus.channel("test"));
    double applesInStock =
        Double.parseDouble(
            ShopPlugin.named("inventory").plugin().getSpec().getConfig().get("stock.apple"));

    PlaceOrderReply reply = orders.placeOrder(order("apple", 2, 150));

    assertThat(reply.getTotalCents()).isEqualTo(300);
    assertThat(reply.getCurrency()).isEqualTo("EUR");
    assertThat(contexts.get("inventory").metrics().gaugeValue("stock", "sku", "apple"))
        .isEqualTo(applesInStock - 2);
    assertThat(contexts.get("payment").metrics().counterValue("charged_cents", "currency", "EUR"))
        .isEqualTo(300);
    assertThat(
            contexts.get("notification").metrics().counterValue("notifications", "outcome", "sent"))
        .isEqualTo(1);
    assertThat(bus.deadLetters()).isEmpty();
  }

  @Test
  void eachYamlDeclaresWhatItsJarProvidesCallsPublishesAndSubscribes() {
    var orders = OrderServiceGrpc.newBlockingStub(bus.channel("test"));
    orders.placeOrder(order("pear", 1, 100));
    // a declined payment makes order call inventory's Release too
    assertThatThrownBy(() -> orders.placeOrder(order("pear", 1, 10_000_000)))
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith("FAILED_PRECONDITION: payment declined");

    for (ShopPlugin p : ShopPlugin.all()) {
      var spec = p.plugin().getSpec();
      InMemoryPluginContext context = contexts.get(p.name());
      assertThat(context.providedServices())
          .as("%s: services registered vs spec.provides", p.name())
          .containsExactlyInAnyOrderElementsOf(
              spec.getProvides() == null
                  ? List.of()
                  : spec.getProvides().stream().map(ProvidedService::getService).toList());
      assertThat(context.subscribedEventTypes())
          .as("%s: subscriptions vs spec.subscribes", p.name())
          .containsExactlyInAnyOrderElementsOf(orEmpty(spec.getSubscribes()));
      assertThat(bus.calls())
          .filteredOn(call -> call.caller().equals(p.name()))
          .extracting(InMemoryBus.Call::service)
          .as("%s: services called vs spec.requires", p.name())
          .isSubsetOf(orEmpty(spec.getRequires()));
      assertThat(bus.published("shop.order.OrderPlaced"))
          .filteredOn(event -> event.source().equals(p.name()))
          .extracting(Event::type)
          .as("%s: events published vs spec.publishes", p.name())
          .isSubsetOf(orEmpty(spec.getPublishes()));
    }
    // every caller the bus saw is allowed by the callee's Plugin
    for (InMemoryBus.Call call : bus.calls()) {
      List<String> allowed =
          ShopPlugin.all().stream()
              .flatMap(
                  p ->
                      p.plugin().getSpec().getProvides() == null
                          ? Stream.empty()
                          : p.plugin().getSpec().getProvides().stream())
              .filter(s -> s.getService().equals(call.service()))
              .map(ProvidedService::getAllowedCallers)
              .filter(Objects::nonNull)
              .findFirst()
              .orElse(List.of());
      if (!allowed.isEmpty()) {
        assertThat(allowed).as("callers allowed for %s", call.service()).contains(call.caller());
      }
    }
    assertThat(bus.calls())
        .extracting(InMemoryBus.Call::service)
        .contains(
            "shop.order.OrderService",
            "shop.inventory.InventoryService",
            "shop.payment.PaymentService");
  }

  private static List<String> orEmpty(List<String> list) {
    return list == null ? List.of() : list;
  }
}
