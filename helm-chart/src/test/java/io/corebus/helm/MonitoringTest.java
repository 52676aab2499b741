package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ServiceMonitor / PodMonitor toggles and the Grafana dashboard. */
class MonitoringTest {

  /** The operator's per-plug-in metrics the dashboard is built on. */
  static final List<String> PLUGIN_METRICS =
      List.of(
          "corebus_plugin_qps",
          "corebus_plugin_p99_latency_seconds",
          "corebus_plugin_error_ratio",
          "corebus_plugin_lag",
          "corebus_plugin_replicas_desired",
          "corebus_plugin_replicas_ready");

  @Test
  void monitorsAndDashboardAreOffByDefault() {
    RenderedChart chart = RenderedChart.render(Map.of());

    assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    assertThat(chart.ofKind("PodMonitor")).isEmpty();
    assertThat(chart.all(ConfigMap.class)).isEmpty();
  }

  @Test
  void theServiceMonitorAndPodMonitorScrapeTheOperatorsMetricsEndpoint() {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of());
    Deployment operator = chart.one(Deployment.class);
    Map<String, String> podLabels = operator.getSpec().getTemplate().getMetadata().getLabels();

    GenericKubernetesResource serviceMonitor = only(chart, "ServiceMonitor");
    assertThat(serviceMonitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
    assertThat(serviceMonitor.<String>get("spec", "endpoints", 0, "path")).isEqualTo("/q/metrics");
    assertThat(serviceMonitor.<String>get("spec", "endpoints", 0, "port")).isEqualTo("http");
    Map<String, String> serviceSelector = serviceMonitor.get("spec", "selector", "matchLabels");
    assertThat(
            chart.named(io.fabric8.kubernetes.api.model.Service.class, "corebus-system", "corebus"))
        .get()
        .satisfies(
            s -> assertThat(s.getMetadata().getLabels()).containsAllEntriesOf(serviceSelector));

    GenericKubernetesResource podMonitor = only(chart, "PodMonitor");
    assertThat(podMonitor.<String>get("spec", "podMetricsEndpoints", 0, "path"))
        .isEqualTo("/q/metrics");
    Map<String, String> podSelector = podMonitor.get("spec", "selector", "matchLabels");
    assertThat(podLabels).containsAllEntriesOf(podSelector);
    assertThat(operator.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
        .anySatisfy(p -> assertThat(p.getName()).isEqualTo("http"));
  }

  @Test
  void theDashboardShowsQpsP99ErrorRateReplicasAndLagPerPlugin() throws Exception {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of());

    ConfigMap cm = chart.one(ConfigMap.class);
    assertThat(cm.getMetadata().getNamespace()).isEqualTo("monitoring");
    assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode dashboard = new ObjectMapper().readTree(cm.getData().get("corebus-plugins.json"));

    assertThat(dashboard.get("uid").asText()).isEqualTo("corebus-plugins");
    List<String> exprs = new ArrayList<>();
    dashboard
        .get("panels")
        .forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
    for (String metric : PLUGIN_METRICS) {
      assertThat(exprs).as("a panel queries %s", metric).anyMatch(e -> e.contains(metric + "{"));
    }
    // Per plug-in: every per-plug-in query keeps the plugin label and honours the variables.
    assertThat(
            exprs.stream()
                .filter(e -> e.contains("corebus_plugin_"))
                .filter(e -> e.contains(" by ")))
        .isNotEmpty()
        .allSatisfy(
            e -> assertThat(e).contains("plugin").contains("$namespace").contains("$plugin"));
    List<String> titles = new ArrayList<>();
    dashboard.get("panels").forEach(p -> titles.add(p.get("title").asText().toLowerCase()));
    assertThat(String.join("|", titles))
        .contains("requests per second", "p99", "error rate", "lag", "desired vs ready");
  }

  private static GenericKubernetesResource only(RenderedChart chart, String kind) {
    List<HasMetadata> found = chart.ofKind(kind);
    assertThat(found).hasSize(1);
    return (GenericKubernetesResource) found.get(0);
  }
}
