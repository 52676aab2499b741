package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableWriterTest {
  final RouteTableWriter writer = new RouteTableWriter(BusTopics.forNamespace("shop"));

  static ServiceRoute route(String service, int v1Weight) {
    return new ServiceRoute(
        service,
        ServiceRoute.Transport.BUS,
        List.of(),
        List.of(
            VersionRoute.bus("p", "1", "r1", v1Weight, "t.v1"),
            VersionRoute.bus("p", "2", "r2", 100 - v1Weight, "t.v2")));
  }

  @Test
  void putAndRemoveBuildRecordsOnTheNamespacesRouteTopic() {
    RouteRecord put = writer.put(route("shop.A", 100));
    RouteRecord tombstone = writer.remove("shop.A");

    assertThat(put.topic()).isEqualTo("corebus.shop.routes");
    assertThat(put.service()).isEqualTo("shop.A");
    assertThat(RouteCodec.decode(put.key(), put.value())).contains(route("shop.A", 100));
    assertThat(tombstone.isTombstone()).isTrue();
    assertThat(RouteCodec.decode(tombstone.key(), tombstone.value())).isEmpty();
  }

  @Test
  void changesHoldOnlyWhatDiffersFromThePublishedTable() {
    Map<String, ServiceRoute> published =
        Map.of(
            "shop.A",
            route("shop.A", 100),
            "shop.B",
            route("shop.B", 100),
            "shop.C",
            route("shop.C", 100));

    List<RouteRecord> changes =
        writer.changes(
            published, List.of(route("shop.A", 100), route("shop.B", 0), route("shop.D", 50)));

    assertThat(changes)
        .extracting(RouteRecord::service, RouteRecord::isTombstone)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("shop.B", false),
            org.assertj.core.groups.Tuple.tuple("shop.D", false),
            org.assertj.core.groups.Tuple.tuple("shop.C", true));
    assertThat(writer.changes(Map.of(), List.of(route("shop.A", 100)))).hasSize(1);
    assertThatThrownBy(
            () -> writer.changes(Map.of(), List.of(route("shop.A", 1), route("shop.A", 2))))
        .hasMessageContaining("two routes for service shop.A");
  }

  @Test
  void theTopicIsCompacted() {
    assertThat(RouteTableWriter.topicConfigs()).containsEntry("cleanup.policy", "compact");
    assertThat(RouteTableWriter.PARTITIONS).isEqualTo(1);
  }
}
