package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Label and field selectors, evaluated like the API server does. */
class SelectorsTest {

  private final ObjectMapper json = new ObjectMapper();

  private JsonNode pod(String tier, String phase) throws Exception {
    return json.readTree(
        "{\"metadata\":{\"labels\":{\"tier\":\""
            + tier
            + "\",\"app\":\"shop\"}},\"status\":{\"phase\":\""
            + phase
            + "\"}}");
  }

  private boolean labels(String selector, JsonNode o) {
    return Selectors.labelsMatch(Selectors.parse(selector), o);
  }

  @Test
  void setBasedAndEqualityTermsCombine() throws Exception {
    JsonNode web = pod("web", "Running");

    assertThat(labels("tier in (web, api),app=shop", web)).isTrue();
    assertThat(labels("tier notin (web)", web)).isFalse();
    assertThat(labels("tier!=db,app", web)).isTrue();
    assertThat(labels("!canary", web)).isTrue();
    assertThat(labels("app==other", web)).isFalse();
    assertThat(labels("missing notin (x)", web)).isTrue();
  }

  @Test
  void fieldSelectorsReadAnyFieldAndTreatMissingAsEmpty() throws Exception {
    JsonNode running = pod("web", "Running");

    assertThat(Selectors.fieldsMatch(Selectors.parse("status.phase=Running"), running)).isTrue();
    assertThat(Selectors.fieldsMatch(Selectors.parse("status.phase!=Running"), running)).isFalse();
    assertThat(Selectors.fieldsMatch(Selectors.parse("spec.nodeName="), running)).isTrue();
  }

  @Test
  void watchesKeepOnlyWhatTheStoreUnderstands() {
    var terms = Selectors.parse("tier in (web),app=shop,zone in (a,b)");

    assertThat(terms.stream().filter(Selectors.Requirement::storeCanEvaluate).toList())
        .extracting(Selectors.Requirement::asStoreTerm)
        .containsExactly("tier=web", "app=shop");
  }

  @Test
  void unreadableSelectorsAreRefused() {
    assertThatThrownBy(() -> Selectors.parse("tier in web)"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tier in web)");
  }
}
