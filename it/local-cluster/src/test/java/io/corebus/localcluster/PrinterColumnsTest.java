package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The columns {@code kubectl get} shows. */
class PrinterColumnsTest {

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void printerColumnPathsSelectLikeKubectl() throws Exception {
    JsonNode plugin =
        json.readTree(
            """
            {"spec":{"version":"1.4.2","replicas":{"desired":3}},
             "status":{"conditions":[{"type":"Progressing","status":"False"},{"type":"Ready","status":"True","reason":"AllReady"}],
                       "versions":[{"version":"1.4.1"},{"version":"1.4.2"}]}}
            """);

    assertThat(
            PrinterColumns.first(plugin, ".status.conditions[?(@.type==\"Ready\")].status")
                .asText())
        .isEqualTo("True");
    assertThat(
            PrinterColumns.first(plugin, ".status.conditions[?(@.type=='Ready')].reason").asText())
        .isEqualTo("AllReady");
    assertThat(PrinterColumns.first(plugin, ".spec.replicas.desired").asInt()).isEqualTo(3);
    assertThat(PrinterColumns.first(plugin, ".status.versions[-1].version").asText())
        .isEqualTo("1.4.2");
    assertThat(PrinterColumns.first(plugin, ".status.versions[*].version").asText())
        .isEqualTo("1.4.1");
    assertThat(PrinterColumns.first(plugin, ".status.qps")).isNull();
  }

  @Test
  void podsShowReadyStatusAndRestartsAsKubectlDoes() throws Exception {
    ApiDiscovery.Resource pods = ApiDiscovery.of(List.of()).find("", "v1", "pods").orElseThrow();
    JsonNode crashing =
        json.readTree(
            """
            {"metadata":{"name":"web-0","creationTimestamp":"%s"},
             "spec":{"containers":[{"name":"a"},{"name":"b"}]},
             "status":{"phase":"Running","containerStatuses":[
               {"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},
               {"name":"b","ready":false,"restartCount":4,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
            """
                .formatted(Instant.now().minusSeconds(300)));

    JsonNode table = PrinterColumns.table(pods, List.of(crashing), json.createObjectNode());

    assertThat(table.path("columnDefinitions").findValuesAsText("name"))
        .containsExactly("Name", "Ready", "Status", "Restarts", "Age", "IP", "Node");
    assertThat(table.path("rows").get(0).path("cells").toString())
        .startsWith("[\"web-0\",\"1/2\",\"CrashLoopBackOff\",\"4\",\"5m\"");
  }

  @Test
  void agesReadLikeKubectls() {
    Instant now = Instant.now();
    assertThat(PrinterColumns.age(now.minusSeconds(42).toString())).isEqualTo("42s");
    assertThat(PrinterColumns.age(now.minusSeconds(600).toString())).isEqualTo("10m");
    assertThat(PrinterColumns.age(now.minusSeconds(5 * 3600).toString())).isEqualTo("5h");
    assertThat(PrinterColumns.age(now.minusSeconds(3 * 86400).toString())).isEqualTo("3d");
  }
}
