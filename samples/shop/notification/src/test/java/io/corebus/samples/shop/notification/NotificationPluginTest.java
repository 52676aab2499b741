package io.corebus.samples.shop.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.corebus.plugin.Event;
import io.corebus.samples.shop.order.api.OrderPlaced;
import io.corebus.samples.shop.testkit.InMemoryBus;
import io.corebus.samples.shop.testkit.InMemoryPluginContext;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NotificationPluginTest {
  private final InMemoryBus bus = new InMemoryBus();
  private InMemoryPluginContext notification;

  @BeforeEach
  void startNotification() throws Exception {
    notification = bus.start("notification", new NotificationPlugin(), Map.of());
  }

  @AfterEach
  void closeBus() throws Exception {
    bus.close();
  }

  private Event orderPlaced(String orderId, long totalCents) {
    OrderPlaced order =
        OrderPlaced.newBuilder()
            .setOrderId(orderId)
            .setCustomerId("alice")
            .setTotalCents(totalCents)
            .setCurrency("EUR")
            .build();
    return bus.publish("order", "shop.order.OrderPlaced", order.toByteArray());
  }

  private double notifications(String outcome) {
    return notification.metrics().counterValue("notifications", "outcome", outcome);
  }

  @Test
  void notifiesTheCustomerOfEachPlacedOrder() {
    orderPlaced("ord-1", 1750);
    orderPlaced("ord-2", 5);

    assertThat(notification.subscribedEventTypes()).containsExactly("shop.order.OrderPlaced");
    assertThat(notification.providedServices()).isEmpty();
    assertThat(notification.logger().messages(Level.INFO))
        .containsExactly(
            "notified alice: order ord-1 over 17.50 EUR is placed",
            "notified alice: order ord-2 over 0.05 EUR is placed");
    assertThat(notifications("sent")).isEqualTo(2);
    assertThat(bus.deadLetters()).isEmpty();
  }

  @Test
  void aRedeliveredEventIsNotNotifiedTwice() {
    Event event = orderPlaced("ord-1", 1750);

    bus.redeliver(event);

    assertThat(notifications("sent")).isEqualTo(1);
    assertThat(notifications("duplicate")).isEqualTo(1);
    assertThat(notification.logger().messages(Level.INFO)).hasSize(1);
  }

  @Test
  void aPayloadThatIsNoOrderPlacedFailsTheHandlerAndNotifiesNobody() {
    bus.publish("order", "shop.order.OrderPlaced", "not protobuf".getBytes(StandardCharsets.UTF_8));

    assertThat(bus.deadLetters())
        .singleElement()
        .satisfies(
            dead -> {
              assertThat(dead.subscriber()).isEqualTo("notification");
              assertThat(dead.error()).isInstanceOf(InvalidProtocolBufferException.class);
            });
    assertThat(notifications("sent")).isZero();
  }
}
