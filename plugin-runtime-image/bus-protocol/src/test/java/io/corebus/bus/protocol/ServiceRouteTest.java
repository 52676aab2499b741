package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceRouteTest {
  static final String S = "shop.payment.PaymentService";

  @Test
  void allWeightsZeroIsAKnownServiceThatServesNothing() {
    ServiceRoute r =
        new ServiceRoute(
            S,
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(VersionRoute.bus("p", "1", "", 0, "t")));
    assertThat(r.serving()).isFalse();
    assertThat(new ServiceRoute(S, ServiceRoute.Transport.BUS, List.of(), List.of()).serving())
        .isFalse();
  }

  @Test
  void aHybridVersionMayHaveOnlyEndpointsButABusVersionNeedsATopic() {
    VersionRoute direct =
        new VersionRoute("p", "1", "a", 100, null, List.of(new Endpoint("10.0.0.1", 9090)));
    assertThat(
            new ServiceRoute(S, ServiceRoute.Transport.HYBRID, List.of(), List.of(direct))
                .serving())
        .isTrue();
    assertThatThrownBy(
            () -> new ServiceRoute(S, ServiceRoute.Transport.BUS, List.of(), List.of(direct)))
        .hasMessageContaining("has weight 100 but no topic");
  }

  @Test
  void theSameRevisionTwiceIsRefused() {
    assertThatThrownBy(
            () ->
                new ServiceRoute(
                    S,
                    ServiceRoute.Transport.BUS,
                    List.of(),
                    List.of(
                        VersionRoute.bus("p", "1", "a", 50, "t"),
                        VersionRoute.bus("p", "1", "a", 50, "t"))))
        .hasMessageContaining("revision 'a' twice");
  }

  @Test
  void allowedCallersAreCheckedByName() {
    ServiceRoute open = new ServiceRoute(S, ServiceRoute.Transport.BUS, null, null);
    ServiceRoute closed = new ServiceRoute(S, ServiceRoute.Transport.BUS, List.of("orders"), null);
    assertThat(open.permits("anyone")).isTrue();
    assertThat(closed.permits("orders")).isTrue();
    assertThat(closed.permits("intruder")).isFalse();
    assertThat(closed.permits(null)).isFalse();
  }

  @Test
  void endpointsParseAndPrintBothAddressFamilies() {
    assertThat(Endpoint.parse("10.0.0.1:9090")).isEqualTo(new Endpoint("10.0.0.1", 9090));
    assertThat(Endpoint.parse("[fd00::1]:9090").toString()).isEqualTo("[fd00::1]:9090");
    assertThatThrownBy(() -> Endpoint.parse("fd00::1:9090")).hasMessageContaining("brackets");
    assertThatThrownBy(() -> Endpoint.parse("host:0")).hasMessageContaining("1..65535");
    assertThatThrownBy(() -> Endpoint.parse("host:http")).hasMessageContaining("numeric port");
  }
}
