package io.corebus.bus.protocol;

import static io.corebus.bus.protocol.BusPermissions.Operation.CREATE;
import static io.corebus.bus.protocol.BusPermissions.Operation.IDEMPOTENT_WRITE;
import static io.corebus.bus.protocol.BusPermissions.Operation.READ;
import static io.corebus.bus.protocol.BusPermissions.Operation.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.bus.protocol.BusPermissions.Grant;
import io.corebus.bus.protocol.BusPermissions.Member;
import io.corebus.bus.protocol.BusPermissions.Operation;
import io.corebus.bus.protocol.BusPermissions.PatternType;
import io.corebus.bus.protocol.BusPermissions.ResourceType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BusPermissionsTest {
  static final BusTopics SHOP = BusTopics.forNamespace("shop");
  static final String PAY = "shop.payment.PaymentService";
  static final String STOCK = "shop.inventory.InventoryService";

  // payment: only orders may call it; inventory: anyone; orders calls both and publishes an event
  // that notification subscribes to.
  static final Member payment =
      new Member("payment", Map.of(PAY, List.of("orders")), Set.of(), Set.of());
  static final Member inventory =
      new Member("inventory", Map.of(STOCK, List.of()), Set.of(), Set.of());
  static final Member orders =
      new Member("orders", Map.of(), Set.of("shop.order.OrderPlaced"), Set.of());
  static final Member notification =
      new Member("notification", Map.of(), Set.of(), Set.of("shop.order.OrderPlaced"));
  static final List<Member> all = List.of(payment, inventory, orders, notification);

  static Grant topic(String plugin, String name, Operation op) {
    return new Grant(
        "User:corebus.shop." + plugin, ResourceType.TOPIC, PatternType.LITERAL, name, op);
  }

  static Grant prefixed(String plugin, String name, Operation op) {
    return new Grant(
        "User:corebus.shop." + plugin, ResourceType.TOPIC, PatternType.PREFIXED, name, op);
  }

  static Grant group(String plugin, String name) {
    return new Grant(
        "User:corebus.shop." + plugin, ResourceType.GROUP, PatternType.LITERAL, name, READ);
  }

  @Test
  void aCallerMayWriteOnlyToServicesThatAdmitIt() {
    assertThat(BusPermissions.of(SHOP, orders, all))
        .containsExactlyInAnyOrder(
            topic("orders", SHOP.requests(PAY), WRITE),
            topic("orders", SHOP.alternateRequests(PAY), WRITE),
            topic("orders", SHOP.requests(STOCK), WRITE),
            topic("orders", SHOP.alternateRequests(STOCK), WRITE),
            topic("orders", SHOP.events("shop.order.OrderPlaced"), WRITE),
            prefixed("orders", "corebus.shop.reply.orders.", CREATE),
            prefixed("orders", "corebus.shop.reply.orders.", READ),
            topic("orders", SHOP.routes(), READ),
            topic("orders", SHOP.keys(), READ),
            topic("orders", SHOP.control(), READ),
            topic("orders", SHOP.telemetry(), WRITE),
            new Grant(
                "User:corebus.shop.orders",
                ResourceType.CLUSTER,
                PatternType.LITERAL,
                "kafka-cluster",
                IDEMPOTENT_WRITE));
    // notification is not among payment's allowed callers: it may call inventory only.
    assertThat(BusPermissions.of(SHOP, notification, all))
        .contains(topic("notification", SHOP.requests(STOCK), WRITE))
        .doesNotContain(topic("notification", SHOP.requests(PAY), WRITE));
  }

  @Test
  void aProviderReadsItsOwnRequestsAndAnswersAnyCallerButReadsNoOneElses() {
    assertThat(List.copyOf(BusPermissions.of(SHOP, payment, all)))
        .contains(
            topic("payment", SHOP.requests(PAY), READ),
            group("payment", SHOP.requestGroup("payment")),
            prefixed("payment", SHOP.replyPrefix(), WRITE))
        .doesNotContain(
            topic("payment", SHOP.requests(STOCK), READ),
            topic("payment", SHOP.alternateRequests(STOCK), READ),
            // payment did not list itself among its callers
            topic("payment", SHOP.requests(PAY), WRITE))
        .filteredOn(g -> g.operation() == READ && g.resourceType() == ResourceType.TOPIC)
        .extracting(Grant::name)
        .containsExactlyInAnyOrder(
            SHOP.requests(PAY),
            SHOP.alternateRequests(PAY),
            SHOP.replyPrefix("payment"),
            SHOP.routes(),
            SHOP.keys(),
            SHOP.control());
  }

  @Test
  void aSubscriberReadsItsEventsInItsOwnGroupAndWritesItsDeadLetters() {
    assertThat(BusPermissions.of(SHOP, notification, all))
        .contains(
            topic("notification", SHOP.events("shop.order.OrderPlaced"), READ),
            group("notification", SHOP.eventGroup("notification")),
            topic("notification", SHOP.deadLetters("notification"), WRITE))
        .doesNotContain(topic("notification", SHOP.events("shop.order.OrderPlaced"), WRITE));
  }

  @Test
  void noPluginMayWriteTheRoutesOrTheKeysOrReadAnotherPluginsSlots() {
    for (Member m : all) {
      assertThat(BusPermissions.of(SHOP, m, all))
          .noneMatch(g -> g.name().equals(SHOP.routes()) && g.operation() != READ)
          .noneMatch(g -> g.name().equals(SHOP.keys()) && g.operation() != READ)
          .noneMatch(g -> g.name().equals(SHOP.control()) && g.operation() != READ)
          .noneMatch(
              g ->
                  g.operation() == READ
                      && g.name().startsWith(SHOP.replyPrefix())
                      && !g.name().equals(SHOP.replyPrefix(m.plugin())));
    }
  }

  @Test
  void principalsCarryPrefixAndNamespace() {
    assertThat(BusPermissions.principal(SHOP, "payment")).isEqualTo("User:corebus.shop.payment");
    assertThat(BusPermissions.userName(BusTopics.forNamespace("staging", "shop"), "payment"))
        .isEqualTo("staging.shop.payment");
  }
}
