package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.Transport;
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
  void aStablePluginHasOneVersionWithAllTheWeight() {
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
              assertThat(r.transport()).isEqualTo(Transport.bus);
              assertThat(r.allowedCallers()).containsExactly("orders");
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
                      });
            });
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

    assertThat(route.versions())
        .extracting(
            ServiceRoute.VersionRoute::revision,
            ServiceRoute.VersionRoute::weight,
            ServiceRoute.VersionRoute::endpoints)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("new", 33, List.of("10.0.0.9:9090")),
            org.assertj.core.groups.Tuple.tuple(
                "old", 67, List.of("10.0.0.2:9090", "10.0.0.3:9090")));
  }

  @Test
  void withNoReadyPodTheCurrentRevisionTakesTheCallsThroughItsTopic() {
    ServiceRoute route =
        DesiredRoutes.of(payment(Transport.hybrid), "new", List.of(TestPods.pod("new", 0, false)))
            .get(0);
    assertThat(route.versions())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.revision()).isEqualTo("new");
              assertThat(v.version()).isEqualTo("1.0.0");
              assertThat(v.weight()).isEqualTo(100);
              assertThat(v.endpoints()).isEmpty();
            });
  }

  @Test
  void ipv6EndpointsAreBracketed() {
    assertThat(DesiredRoutes.endpoint("fd00::1")).isEqualTo("[fd00::1]:9090");
    assertThat(DesiredRoutes.endpoint("10.1.2.3")).isEqualTo("10.1.2.3:9090");
  }
}
