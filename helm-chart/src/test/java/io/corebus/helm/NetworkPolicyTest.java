package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Plug-in pods reach Kafka, DNS and their hybrid peers and nothing else by default; the operator
 * reaches the API server, Kafka and DNS.
 */
class NetworkPolicyTest {

  @Test
  void byDefaultThereIsOnePolicyForTheOperatorAndOneForPluginPodsInTheReleaseNamespace() {
    RenderedChart chart = RenderedChart.render(Map.of());

    assertThat(chart.all(NetworkPolicy.class))
        .extracting(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
        .containsExactlyInAnyOrder("corebus-system/corebus", "corebus-system/corebus-plugins");
  }

  @Test
  void pluginPodsReachOnlyTheirPeersKafkaAndDns() {
    NetworkPolicy plugins = pluginPolicy(RenderedChart.render(Map.of()), "corebus-system");

    assertThat(plugins.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
    List<NetworkPolicyEgressRule> egress = plugins.getSpec().getEgress();
    assertThat(egress).hasSize(3);
    // hybrid peers: the plug-in pods of the namespace, on http and grpc
    assertThat(egress.get(0).getTo())
        .singleElement()
        .satisfies(
            peer -> {
              assertThat(peer.getPodSelector()).isEqualTo(plugins.getSpec().getPodSelector());
              assertThat(peer.getNamespaceSelector()).isNull();
              assertThat(peer.getIpBlock()).isNull();
            });
    assertThat(ports(egress.get(0).getPorts())).containsExactly("TCP/8080", "TCP/9090");
    // Kafka: its ports only
    assertThat(ports(egress.get(1).getPorts())).containsExactly("TCP/9092", "TCP/9093");
    // DNS: port 53 in kube-system's kube-dns only
    assertThat(ports(egress.get(2).getPorts())).containsExactly("UDP/53", "TCP/53");
    assertThat(egress.get(2).getTo())
        .singleElement()
        .satisfies(
            peer ->
                assertThat(peer.getNamespaceSelector().getMatchLabels())
                    .containsEntry("kubernetes.io/metadata.name", "kube-system"));
  }

  @Test
  void onlyHybridPeersReachPluginPods() {
    NetworkPolicy plugins = pluginPolicy(RenderedChart.render(Map.of()), "corebus-system");

    assertThat(plugins.getSpec().getIngress())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getFrom())
                  .singleElement()
                  .satisfies(
                      peer ->
                          assertThat(peer.getPodSelector())
                              .isEqualTo(plugins.getSpec().getPodSelector()));
              assertThat(ports(rule.getPorts())).containsExactly("TCP/8080", "TCP/9090");
            });
  }

  @Test
  void theOperatorReachesTheApiServerKafkaAndDnsAndIsReachableOnItsHttpPortOnly() {
    NetworkPolicy operator =
        RenderedChart.render(Map.of())
            .named(NetworkPolicy.class, "corebus-system", "corebus")
            .orElseThrow();

    assertThat(operator.getSpec().getPodSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/component", "operator");
    assertThat(operator.getSpec().getEgress())
        .extracting(r -> ports(r.getPorts()))
        .containsExactly(
            List.of("TCP/443", "TCP/6443"),
            List.of("TCP/9092", "TCP/9093"),
            List.of("UDP/53", "TCP/53"));
    assertThat(operator.getSpec().getIngress())
        .singleElement()
        .satisfies(r -> assertThat(ports(r.getPorts())).containsExactly("TCP/http"));
  }

  @Test
  void watchedNamespacesEachGetThePluginPolicyWithTheNarrowedKafkaAndExtraEgress() {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of());

    for (String ns : List.of("shop", "billing")) {
      NetworkPolicy plugins = pluginPolicy(chart, ns);
      List<NetworkPolicyEgressRule> egress = plugins.getSpec().getEgress();
      assertThat(egress).hasSize(4);
      assertThat(egress.get(1).getTo())
          .singleElement()
          .satisfies(
              p ->
                  assertThat(p.getNamespaceSelector().getMatchLabels())
                      .containsEntry("kubernetes.io/metadata.name", "kafka"));
      assertThat(egress.get(3).getTo())
          .singleElement()
          .satisfies(p -> assertThat(p.getIpBlock().getCidr()).isEqualTo("10.20.0.0/16"));
    }
    assertThat(chart.named(NetworkPolicy.class, "corebus-system", "corebus-plugins")).isEmpty();
    NetworkPolicy operator =
        chart.named(NetworkPolicy.class, "corebus-system", "corebus").orElseThrow();
    assertThat(operator.getSpec().getIngress().get(0).getFrom())
        .singleElement()
        .satisfies(
            p ->
                assertThat(p.getNamespaceSelector().getMatchLabels())
                    .containsEntry("kubernetes.io/metadata.name", "monitoring"));
  }

  @Test
  void watchingAllNamespacesPutsThePluginPolicyWhereTheUserSays() {
    RenderedChart chart =
        RenderedChart.render(
            Map.of(
                "watchAllNamespaces",
                true,
                "networkPolicy.plugins.namespaces[0]",
                "team-a",
                "networkPolicy.plugins.namespaces[1]",
                "team-b"));

    assertThat(chart.all(NetworkPolicy.class))
        .extracting(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "corebus-system/corebus", "team-a/corebus-plugins", "team-b/corebus-plugins");
  }

  @Test
  void policiesCanBeTurnedOff() {
    assertThat(
            RenderedChart.render(Map.of("networkPolicy.enabled", false)).all(NetworkPolicy.class))
        .isEmpty();
  }

  private static NetworkPolicy pluginPolicy(RenderedChart chart, String namespace) {
    return chart.named(NetworkPolicy.class, namespace, "corebus-plugins").orElseThrow();
  }

  private static List<String> ports(List<NetworkPolicyPort> ports) {
    return ports.stream().map(p -> p.getProtocol() + "/" + value(p.getPort())).toList();
  }

  private static String value(IntOrString port) {
    return port.getIntVal() != null ? port.getIntVal().toString() : port.getStrVal();
  }
}
