package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouteCodecTest {
  static final String SERVICE = "shop.payment.PaymentService";

  static ServiceRoute hybrid() {
    return new ServiceRoute(
        SERVICE,
        ServiceRoute.Transport.HYBRID,
        List.of("checkout", "orders"),
        List.of(
            VersionRoute.bus("payment", "1.4.2", "7d9f8c", 90, "corebus.shop.rpc." + SERVICE)
                .withEndpoints(
                    List.of(Endpoint.parse("10.1.0.7:9090"), Endpoint.parse("[fd00::1]:9090")))
                .withReady(2),
            new VersionRoute(
                "payment",
                "1.5.0-rc.1+build7",
                "5b1e2a",
                10,
                null,
                List.of(new Endpoint("payment-v2-0.payment.shop.svc", 9090)))));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRouteSurvivesTheRoundTripThroughKeyAndValue() {
    ServiceRoute route = hybrid();

    Optional<ServiceRoute> back =
        RouteCodec.decode(RouteCodec.key(SERVICE), RouteCodec.value(route));

    assertThat(back).contains(route);
    assertThat(back.get().versions().get(0).endpoints().get(1).host()).isEqualTo("fd00::1");
    assertThat(back.get().versions().get(1).hasTopic()).isFalse();
    assertThat(back.get().versions().get(0).ready()).isEqualTo(2);
    assertThat(back.get().versions().get(1).ready()).as("not said: unknown").isNull();
  }

  @Test
  void theReadyCountIsWrittenWhenKnownAndAMissingOneMeansReady() {
    ServiceRoute route =
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(VersionRoute.bus("payment", "1.4.2", "7d9f8c", 100, "t.a").withReady(0)));

    assertThat(RouteCodec.toJson(route)).contains("\"endpoints\":[],\"ready\":0}");
    VersionRoute none = RouteCodec.fromJson(RouteCodec.toJson(route), SERVICE).versions().get(0);
    assertThat(none.ready()).isZero();
    assertThat(none.hasReadyReplicas()).isFalse();

    VersionRoute older =
        RouteCodec.fromJson(
                "{\"service\":\""
                    + SERVICE
                    + "\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\","
                    + "\"weight\":100,\"topic\":\"t.a\"}]}",
                SERVICE)
            .versions()
            .get(0);
    assertThat(older.ready()).isNull();
    assertThat(older.hasReadyReplicas()).as("an older operator's route still takes calls").isTrue();
  }

  @Test
  void theValueIsTheDocumentedJson() {
    ServiceRoute route =
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(VersionRoute.bus("payment", "1.4.2", "7d9f8c", 100, "t.a")));

    assertThat(RouteCodec.toJson(route))
        .isEqualTo(
            "{\"protocol\":\"1\",\"service\":\"shop.payment.PaymentService\",\"transport\":\"bus\","
                + "\"allowedCallers\":[],\"versions\":[{\"plugin\":\"payment\",\"version\":\"1.4.2\","
                + "\"revision\":\"7d9f8c\",\"weight\":100,\"topic\":\"t.a\",\"endpoints\":[]}]}");
  }

  @Test
  void aTombstoneRemovesTheService() {
    assertThat(RouteCodec.decode(RouteCodec.key(SERVICE), null)).isEmpty();
  }

  @Test
  void optionalFieldsMayBeMissingAndUnknownOnesAreIgnored() {
    String json =
        """
        { "service": "shop.payment.PaymentService", "addedLater": {"x": [1, true, null]},
          "versions": [ {"plugin": "payment", "version": "2", "weight": 100, "topic": "t.b",
                         "future": "field"} ] }
        """;

    ServiceRoute route = RouteCodec.fromJson(json, SERVICE);

    assertThat(route.transport()).isEqualTo(ServiceRoute.Transport.BUS);
    assertThat(route.allowedCallers()).isEmpty();
    assertThat(route.versions().get(0).revision()).isEmpty();
    assertThat(route.versions().get(0).endpoints()).isEmpty();
  }

  @Test
  void malformedRecordsAreRefusedWithAMessageNamingTheServiceAndTheProblem() {
    String ok =
        "{\"service\":\"%s\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\",\"weight\":%s,"
            + "\"topic\":\"t.a\"}]%s}";
    assertMalformed("{not json", "is not JSON", "position 1");
    assertMalformed("[1,2]", "must be a JSON object");
    assertMalformed(String.format(ok, "other.Service", "100", ""), "differs from the record key");
    assertMalformed(String.format(ok, SERVICE, "60", ""), "add up to 60");
    assertMalformed(String.format(ok, SERVICE, "\"100\"", ""), "weight must be an integer");
    assertMalformed(String.format(ok, SERVICE, "101", ""), "not within 0..100");
    assertMalformed(
        "{\"service\":\""
            + SERVICE
            + "\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\","
            + "\"weight\":100,\"topic\":\"t.a\",\"ready\":\"2\"}]}",
        "versions[0].ready must be an integer");
    assertMalformed(
        "{\"service\":\""
            + SERVICE
            + "\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\","
            + "\"weight\":100,\"topic\":\"t.a\",\"ready\":-1}]}",
        "versions[0]",
        "ready -1 of version 1 is negative");
    assertMalformed(
        String.format(ok, SERVICE, "100", ",\"transport\":\"carrier-pigeon\""),
        "neither 'bus' nor 'hybrid'");
    assertMalformed(
        String.format(ok, SERVICE, "100", ",\"protocol\":\"2\""), "protocol 2 is not supported");
    assertMalformed(
        String.format(ok, SERVICE, "100", ",\"allowedCallers\":[\"Not_A_Plugin\"]"),
        "not a Plugin name");
    assertMalformed(String.format(ok, SERVICE, "100", "} trailing"), "the end of the input");
    assertMalformed(
        "{\"service\":\""
            + SERVICE
            + "\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\","
            + "\"weight\":100,\"endpoints\":[\"10.0.0.1\"]}]}",
        "versions[0]",
        "not host:port");
    assertMalformed(
        "{\"service\":\""
            + SERVICE
            + "\",\"versions\":[{\"plugin\":\"payment\",\"version\":\"1\","
            + "\"weight\":100}]}",
        "has weight 100 but no topic");
  }

  @Test
  void aKeylessOrNonUtf8RecordIsMalformedToo() {
    assertThatThrownBy(() -> RouteCodec.decode(null, utf8("{}")))
        .isInstanceOf(MalformedRouteException.class)
        .hasMessageContaining("no key");
    assertThatThrownBy(() -> RouteCodec.decode(utf8(SERVICE), new byte[] {(byte) 0xff, 0x7b}))
        .isInstanceOf(MalformedRouteException.class)
        .hasMessageContaining("value of the route of '" + SERVICE + "' is not UTF-8");
  }

  private static void assertMalformed(String value, String... fragments) {
    assertThatThrownBy(() -> RouteCodec.decode(utf8(SERVICE), utf8(value)))
        .as(value)
        .isInstanceOf(MalformedRouteException.class)
        .hasMessageContaining("route of '" + SERVICE + "'")
        .satisfies(e -> assertThat(e.getMessage()).contains(fragments));
  }
}
