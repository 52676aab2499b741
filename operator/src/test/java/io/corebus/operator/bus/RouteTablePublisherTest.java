package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Plugin;
import io.corebus.operator.testing.TestPlugins;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTablePublisherTest {
  static final String TOPIC = "corebus.shop.routes";

  /** The topic as a list of records, with the table a reader would build from it. */
  static final class MemoryLog implements RouteLog {
    final List<RouteRecord> records = new ArrayList<>();
    int reads;
    boolean down;

    @Override
    public Map<String, ServiceRoute> read(String topic) throws KafkaUnavailableException {
      assertThat(topic).isEqualTo(TOPIC);
      if (down) {
        throw new KafkaUnavailableException("cannot reach Kafka", Duration.ofSeconds(1));
      }
      reads++;
      return table();
    }

    @Override
    public void append(List<RouteRecord> batch) throws KafkaUnavailableException {
      if (down) {
        throw new KafkaUnavailableException("cannot reach Kafka", Duration.ofSeconds(1));
      }
      records.addAll(batch);
    }

    Map<String, ServiceRoute> table() {
      Map<String, ServiceRoute> t = new LinkedHashMap<>();
      for (RouteRecord r : records) {
        RouteCodec.decode(r.key(), r.value())
            .ifPresentOrElse(route -> t.put(route.service(), route), () -> t.remove(r.service()));
      }
      return t;
    }
  }

  static Plugin plugin(String name) {
    return TestPlugins.jarPlugin("shop", name);
  }

  static ServiceRoute route(String service, String plugin, String revision) {
    return new ServiceRoute(
        service,
        ServiceRoute.Transport.BUS,
        List.of(),
        List.of(VersionRoute.bus(plugin, "1.0.0", revision, 100, "corebus.shop.rpc." + service)));
  }

  MemoryLog log = new MemoryLog();
  RouteTablePublisher publisher = new RouteTablePublisher(log);

  @Test
  void publishesRoutesAndWritesNothingWhenNothingChanged() {
    publisher.publish(
        plugin("payment"),
        List.of(route("shop.Pay", "payment", "r1"), route("shop.Refund", "payment", "r1")));
    assertThat(log.records).hasSize(2);
    assertThat(log.table()).containsOnlyKeys("shop.Pay", "shop.Refund");

    publisher.publish(
        plugin("payment"),
        List.of(route("shop.Pay", "payment", "r1"), route("shop.Refund", "payment", "r1")));
    assertThat(log.records).as("unchanged: nothing written").hasSize(2);

    publisher.publish(
        plugin("payment"),
        List.of(route("shop.Pay", "payment", "r2"), route("shop.Refund", "payment", "r1")));
    assertThat(log.records).as("only the changed route").hasSize(3);
    assertThat(log.table().get("shop.Pay").versions().get(0).revision()).isEqualTo("r2");
    assertThat(log.reads).as("the topic is read once").isEqualTo(1);
  }

  @Test
  void aServiceDroppedFromTheSpecLosesItsRouteButOtherPluginsRoutesStay() {
    publisher.publish(plugin("orders"), List.of(route("shop.Orders", "orders", "o1")));
    publisher.publish(
        plugin("payment"),
        List.of(route("shop.Pay", "payment", "r1"), route("shop.Refund", "payment", "r1")));

    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));

    assertThat(log.table()).containsOnlyKeys("shop.Orders", "shop.Pay");
    assertThat(log.records.get(log.records.size() - 1).isTombstone()).isTrue();
  }

  @Test
  void withdrawTombstonesOnlyTheRoutesThePluginStillOwns() {
    publisher.publish(
        plugin("payment"),
        List.of(route("shop.Pay", "payment", "r1"), route("shop.Refund", "payment", "r1")));
    // A second provider took shop.Pay over as soon as payment was being deleted.
    publisher.publish(plugin("payment-v2"), List.of(route("shop.Pay", "payment-v2", "n1")));

    publisher.withdraw(plugin("payment"), List.of("shop.Pay", "shop.Refund", "shop.Never"));

    assertThat(log.table()).containsOnlyKeys("shop.Pay");
    assertThat(log.table().get("shop.Pay").versions().get(0).plugin()).isEqualTo("payment-v2");
    assertThat(log.records.stream().filter(RouteRecord::isTombstone).map(RouteRecord::service))
        .containsExactly("shop.Refund");

    publisher.withdraw(plugin("payment"), List.of("shop.Pay", "shop.Refund"));
    assertThat(log.records).as("withdrawing again writes nothing").hasSize(4);
  }

  @Test
  void aRestartedOperatorReadsTheTableAndStillKnowsWhoOwnsWhat() {
    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));
    publisher.publish(plugin("payment-v2"), List.of(route("shop.Refund", "payment-v2", "n1")));

    RouteTablePublisher restarted = new RouteTablePublisher(log);
    restarted.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));
    assertThat(log.records).as("already published").hasSize(2);
    restarted.withdraw(plugin("payment"), List.of("shop.Pay", "shop.Refund"));

    assertThat(log.table()).containsOnlyKeys("shop.Refund");
  }

  @Test
  void afterAFailedWriteTheTableIsReadAgain() {
    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));
    log.down = true;
    assertThatThrownBy(
            () -> publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r2"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cannot reach Kafka");
    assertThatThrownBy(() -> publisher.withdraw(plugin("payment"), List.of("shop.Pay")))
        .isInstanceOf(IllegalStateException.class);
    log.down = false;

    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r2")));

    assertThat(log.reads).isEqualTo(2);
    assertThat(log.table().get("shop.Pay").versions().get(0).revision()).isEqualTo("r2");
  }

  @Test
  void aRecreatedTopicIsFilledAgain() {
    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));
    log.records.clear(); // the topic was deleted and created again

    publisher.tableCreated("shop");
    publisher.publish(plugin("payment"), List.of(route("shop.Pay", "payment", "r1")));

    assertThat(log.table()).containsOnlyKeys("shop.Pay");
  }

  @Test
  void ownershipNeedsEveryVersionToBeThePlugins() {
    ServiceRoute mixed =
        new ServiceRoute(
            "shop.Pay",
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(
                VersionRoute.bus("a", "1", "r1", 50, "t"),
                VersionRoute.bus("b", "1", "r2", 50, "t")));
    assertThat(RouteTablePublisher.ownedBy(mixed, "a")).isFalse();
    assertThat(RouteTablePublisher.ownedBy(route("shop.Pay", "a", "r1"), "a")).isTrue();
    assertThat(RouteTablePublisher.ownedBy(null, "a")).isFalse();
  }
}
