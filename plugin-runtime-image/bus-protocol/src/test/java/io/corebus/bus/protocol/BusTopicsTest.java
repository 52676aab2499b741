package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BusTopicsTest {

  private final BusTopics shop = BusTopics.forNamespace("shop");

  @Test
  void namesCarryPrefixNamespaceKindAndName() {
    assertThat(shop.requests("shop.payment.PaymentService"))
        .isEqualTo("corebus.shop.rpc.shop.payment.PaymentService");
    assertThat(shop.replies("payment", "payment-7d9f-0"))
        .isEqualTo("corebus.shop.reply.payment.payment-7d9f-0");
    assertThat(shop.keys()).isEqualTo("corebus.shop.keys");
    assertThat(shop.events("shop.order.OrderPlaced"))
        .isEqualTo("corebus.shop.event.shop.order.OrderPlaced");
    assertThat(shop.deadLetters("payment")).isEqualTo("corebus.shop.dlq.payment");
    assertThat(shop.telemetry()).isEqualTo("corebus.shop.telemetry");
    assertThat(shop.routes()).isEqualTo("corebus.shop.routes");
    assertThat(shop.control()).isEqualTo("corebus.shop.control");
    assertThat(shop.requestGroup("payment")).isEqualTo("corebus.shop.payment.rpc");
    assertThat(shop.eventGroup("payment")).isEqualTo("corebus.shop.payment.events");
  }

  @Test
  void aServiceHasASecondRequestLaneThatNoServiceNameCanReach() {
    assertThat(shop.alternateRequests("shop.payment.PaymentService"))
        .isEqualTo("corebus.shop.rpc.shop.payment.PaymentService-b");
    // '-' is not legal in a protobuf name: no service's first lane equals another's second.
    assertThat(shop.alternateRequests("a.B")).isNotEqualTo(shop.requests("a.B_b"));
    assertThatThrownBy(() -> shop.alternateRequests("s".repeat(231)))
        .hasMessageContaining("Kafka allows 249");
  }

  @Test
  void aPluginsReplyPrefixCoversOnlyItsOwnSlots() {
    String pay = shop.replyPrefix("pay");
    assertThat(shop.replies("pay", "pay-0123456789-0")).startsWith(pay);
    // pay-v2's pods start with "pay-": with the plug-in name and a dot first, pay's prefix (and a
    // prefixed ACL on it) cannot cover them.
    assertThat(shop.replies("pay-v2", "pay-v2-0123456789-0")).doesNotStartWith(pay);
    assertThat(shop.replies("pay-v2", "pay-v2-0123456789-0")).startsWith(shop.replyPrefix());
  }

  @Test
  void namespacesAndInstallationsDoNotShareTopics() {
    assertThat(BusTopics.forNamespace("other").requests("a.B")).isNotEqualTo(shop.requests("a.B"));
    assertThat(BusTopics.forNamespace("staging", "shop").requests("a.B"))
        .isEqualTo("staging.shop.rpc.a.B");
  }

  @Test
  void illegalNamesAreRefusedWithTheReason() {
    assertThatThrownBy(() -> shop.requests("shop/payment"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("may contain only letters, digits");
    assertThatThrownBy(() -> BusTopics.forNamespace("Shop"))
        .hasMessageContaining("must be a DNS label");
    assertThatThrownBy(() -> shop.events("e".repeat(240))).hasMessageContaining("Kafka allows 249");
  }
}
