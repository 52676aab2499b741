package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.Transport;
import io.corebus.operator.model.PluginPods;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.testing.TestPlugins;
import io.corebus.operator.testing.TestPods;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

class DesiredRoutesTest {

  static Plugin payment(Transport transport) {
    Plugin p = TestPlugins.jarPlugin("shop", "payment");
    ProvidedService pay = new ProvidedService("shop.payment.Pay");
    pay.setTransport(transport);
    pay.setAllowedCallers(List.of("orders"));
    p.getSpec().setProvides(List.of(pay));
    return p;
  }

  static Pod ready(String revision, int ordinal, String ip) {
    Pod p = TestPods.pod(revision, ordinal, true);
    p.getStatus().setPodIP(ip);
    return p;
  }

  @Test
  void aStablePluginHasOneVersionWithAllTheWeightOnItsRequestTopic() {
    List<ServiceRoute> routes =
        DesiredRoutes.of(
            payment(Transport.bus),
            "new",
            List.of(ready("new", 0, "10.0.0.1"), ready("new", 1, "10.0.0.2")));

    assertThat(routes)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.service()).isEqualTo("shop.payment.Pay");
              assertThat(r.transport()).isEqualTo(ServiceRoute.Transport.BUS);
              assertThat(r.allowedCallers()).containsExactly("orders");
              assertThat(r.permits("orders")).isTrue();
              assertThat(r.permits("stranger")).isFalse();
              assertThat(r.versions())
                  .singleElement()
                  .satisfies(
                      v -> {
                        assertThat(v.plugin()).isEqualTo("payment");
                        assertThat(v.revision()).isEqualTo("new");
                        assertThat(v.version()).isEqualTo("v-new");
                        assertThat(v.weight()).isEqualTo(100);
                        assertThat(v.topic()).isEqualTo("corebus.shop.rpc.shop.payment.Pay");
                        assertThat(v.endpoints()).as("bus routes need no endpoints").isEmpty();
                        assertThat(v.ready()).as("two Ready pods").isEqualTo(2);
                      });
            });
  }

  @Test
  void theRouteNamesTheTopicThePodsAreToldToConsume() {
    Plugin p = payment(Transport.bus);
    ServiceRoute route = DesiredRoutes.of(p, "new", List.of(ready("new", 0, "10.0.0.1"))).get(0);

    RequestTopics podEnv = RequestTopics.parse(PluginPods.requestTopics(p).format());
    assertThat(podEnv.topicOf("shop.payment.Pay")).contains(route.versions().get(0).topic());
  }

  static Pod onLane(Plugin plugin, String revision, int ordinal, RequestLane lane) {
    Pod rendered =
        lane.apply(
            PluginPods.desired(
                plugin,
                revision,
                ordinal,
                io.corebus.operator.config.OperatorSettings.of("img", "kafka:9092")),
            plugin);
    Pod p = ready(revision, ordinal, "10.0.1." + (ordinal + 1));
    p.setSpec(rendered.getSpec());
    return p;
  }

  @Test
  void eachVersionIsRoutedToTheLaneItsPodsConsume() {
    Plugin p = payment(Transport.bus);
    List<Pod> pods =
        List.of(onLane(p, "old", 0, RequestLane.A), onLane(p, "new", 0, RequestLane.B));

    ServiceRoute byPods = DesiredRoutes.of(p, "new", pods).get(0);
    assertThat(byPods.versions())
        .extracting(VersionRoute::revision, VersionRoute::topic)
        .containsExactly(
            tuple("new", "corebus.shop.rpc.shop.payment.Pay-b"),
            tuple("old", "corebus.shop.rpc.shop.payment.Pay"));

    // A canary's explicit weights, whatever the pod counts; a weight of 0 is left out.
    ServiceRoute canary =
        DesiredRoutes.of(
                p,
                "new",
                pods,
                false,
                List.of(
                    new DesiredRoutes.Share("new", "2.0.0", 10, RequestLane.B),
                    new DesiredRoutes.Share("old", "1.0.0", 90, RequestLane.A)))
            .get(0);
    assertThat(canary.versions())
        .extracting(
            VersionRoute::revision, VersionRoute::weight, VersionRoute::topic, VersionRoute::ready)
        .containsExactly(
            tuple("new", 10, "corebus.shop.rpc.shop.payment.Pay-b", 1),
            tuple("old", 90, "corebus.shop.rpc.shop.payment.Pay", 1));
    ServiceRoute promoted =
        DesiredRoutes.of(
                p,
                "new",
                pods,
                false,
                List.of(
                    new DesiredRoutes.Share("new", "2.0.0", 100, RequestLane.B),
                    new DesiredRoutes.Share("old", "1.0.0", 0, RequestLane.A)))
            .get(0);
    assertThat(promoted.versions()).extracting(VersionRoute::revision).containsExactly("new");
  }

  @Test
  void duringARollTheVersionsShareTheWeightByReadyPodsAndHybridListsEndpoints() {
    List<Pod> pods =
        List.of(
            ready("old", 1, "10.0.0.2"),
            ready("old", 2, "10.0.0.3"),
            ready("new", 0, "10.0.0.9"),
            TestPods.pod("new", 1, false),
            TestPods.terminating("old", 0));

    ServiceRoute route = DesiredRoutes.of(payment(Transport.hybrid), "new", pods).get(0);

    assertThat(route.transport()).isEqualTo(ServiceRoute.Transport.HYBRID);
    assertThat(route.versions())
        .extracting(
            VersionRoute::revision,
            VersionRoute::weight,
            VersionRoute::endpoints,
            VersionRoute::ready)
        .as("the current revision first; the terminating and the unready pod count for nothing")
        .containsExactly(
            tuple("new", 33, List.of(new Endpoint("10.0.0.9", 9090)), 1),
            tuple(
                "old",
                67,
                List.of(new Endpoint("10.0.0.2", 9090), new Endpoint("10.0.0.3", 9090)),
                2));
    assertThat(route.versions())
        .allSatisfy(v -> assertThat(v.topic()).isEqualTo("corebus.shop.rpc.shop.payment.Pay"));
  }

  @Test
  void whenTheRollEndsOnlyTheNewVersionIsLeft() {
    ServiceRoute route =
        DesiredRoutes.of(
                payment(Transport.bus),
                "new",
                List.of(
                    ready("new", 0, "10.0.0.9"),
                    ready("new", 1, "10.0.0.8"),
                    TestPods.terminating("old", 2)))
            .get(0);
    assertThat(route.versions())
        .extracting(VersionRoute::revision, VersionRoute::weight)
        .containsExactly(tuple("new", 100));
  }

  @Test
  void withNoReadyPodTheCurrentRevisionIsRoutedWithNoReadyReplica() {
    ServiceRoute route =
        DesiredRoutes.of(payment(Transport.hybrid), "new", List.of(TestPods.pod("new", 0, false)))
            .get(0);
    // Callers find the service (no NOT_FOUND) and wait for a Ready replica (ready = 0).
    assertThat(route.serving()).isTrue();
    assertThat(route.versions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.revision()).isEqualTo("new");
              assertThat(v.version()).as("the Plugin's spec.version").isEqualTo("1.0.0");
              assertThat(v.weight()).isEqualTo(100);
              assertThat(v.topic()).isEqualTo("corebus.shop.rpc.shop.payment.Pay");
              assertThat(v.endpoints()).isEmpty();
              assertThat(v.ready()).isZero();
              assertThat(v.hasReadyReplicas()).isFalse();
            });
    assertThat(RouteCodec.toJson(route)).contains("\"ready\":0");
  }

  @Test
  void aPlugInThatMayBeAtZeroHasItsCallersParkRequestsOnTheTopic() {
    ServiceRoute route = DesiredRoutes.of(payment(Transport.bus), "new", List.of(), true).get(0);
    // No "ready": callers send to the request topic, where the operator sees the requests wait
    // and scales the plug-in from zero; its first replica then finds them.
    assertThat(route.versions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.ready()).isNull();
              assertThat(v.hasReadyReplicas()).isTrue();
              assertThat(v.topic()).isEqualTo("corebus.shop.rpc.shop.payment.Pay");
            });
    assertThat(RouteCodec.toJson(route)).doesNotContain("\"ready\"");

    // Once a replica is Ready the route is the usual one.
    ServiceRoute up =
        DesiredRoutes.of(payment(Transport.bus), "new", List.of(TestPods.pod("new", 0, true)), true)
            .get(0);
    assertThat(up.versions().get(0).ready()).isEqualTo(1);
  }

  @Test
  void ipv6EndpointsAreBracketedOnTheWire() {
    ServiceRoute route =
        DesiredRoutes.of(payment(Transport.hybrid), "new", List.of(ready("new", 0, "fd00::1")))
            .get(0);
    assertThat(RouteCodec.toJson(route)).contains("\"endpoints\":[\"[fd00::1]:9090\"]");
  }

  @Test
  void aPodWithoutAnIpIsNoEndpointButStillCountsForTheWeight() {
    Pod noIp = TestPods.pod("new", 0, true);
    ServiceRoute route =
        DesiredRoutes.of(
                payment(Transport.hybrid), "new", List.of(noIp, ready("new", 1, "10.0.0.1")))
            .get(0);
    assertThat(route.versions().get(0).endpoints()).containsExactly(new Endpoint("10.0.0.1", 9090));
    assertThat(route.versions().get(0).ready()).isEqualTo(2);
  }

  @Test
  void aPluginProvidingNothingHasNoRoutes() {
    Plugin p = TestPlugins.jarPlugin("shop", "batch");
    p.getSpec().setProvides(null);
    assertThat(DesiredRoutes.of(p, "new", List.of(ready("new", 0, "10.0.0.1")))).isEmpty();
  }

  @Test
  void aVersionBusProtocolRefusesIsAClearErrorNotAMalformedRecord() {
    Pod handMade = ready("new", 0, "10.0.0.1");
    handMade.getMetadata().getLabels().put("app.kubernetes.io/version", "not a version!");
    assertThatThrownBy(() -> DesiredRoutes.of(payment(Transport.bus), "new", List.of(handMade)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a version!");
  }
}
