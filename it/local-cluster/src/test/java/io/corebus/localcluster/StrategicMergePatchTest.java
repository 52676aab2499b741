package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** What {@code kubectl apply} on built-in kinds leaves in the store. */
class StrategicMergePatchTest {

  private final ObjectMapper json = new ObjectMapper();

  private JsonNode apply(String current, String patch) throws Exception {
    return StrategicMergePatch.apply(json.readTree(current), json.readTree(patch));
  }

  @Test
  void containersAndEnvMergeByNameInsteadOfBeingReplaced() throws Exception {
    JsonNode result =
        apply(
            """
            {"spec":{"containers":[
              {"name":"app","image":"a:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
              {"name":"sidecar","image":"s:1"}]}}
            """,
            """
            {"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"sidecar"}],
              "containers":[{"name":"app","$setElementOrder/env":[{"name":"A"},{"name":"B"}],
                             "env":[{"name":"B","value":"22"}]}]}}
            """);

    assertThat(result.toString())
        .isEqualTo(
            "{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"a:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
                + "{\"name\":\"B\",\"value\":\"22\"}]},{\"name\":\"sidecar\",\"image\":\"s:1\"}]}}");
  }

  @Test
  void deleteDirectivesAndNullsRemoveEntries() throws Exception {
    JsonNode result =
        apply(
            """
            {"metadata":{"finalizers":["a","b"],"labels":{"x":"1","y":"2"}},
             "spec":{"volumes":[{"name":"v1"},{"name":"v2"}]}}
            """,
            """
            {"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"labels":{"y":null}},
             "spec":{"volumes":[{"name":"v1","$patch":"delete"}]}}
            """);

    assertThat(result.toString())
        .isEqualTo(
            "{\"metadata\":{\"finalizers\":[\"b\"],\"labels\":{\"x\":\"1\"}},\"spec\":{\"volumes\":[{\"name\":\"v2\"}]}}");
  }

  @Test
  void listsWithoutAMergeKeyAreReplacedAndReplaceDirectivesWin() throws Exception {
    JsonNode result =
        apply(
            """
            {"spec":{"args":["a","b"],"tolerations":[{"key":"k"}],"containers":[{"name":"x"},{"name":"y"}]}}
            """,
            """
            {"spec":{"args":["c"],"tolerations":[{"key":"other"}],
                     "containers":[{"$patch":"replace"},{"name":"z"}]}}
            """);

    assertThat(result.toString())
        .isEqualTo(
            "{\"spec\":{\"args\":[\"c\"],\"tolerations\":[{\"key\":\"other\"}],\"containers\":[{\"name\":\"z\"}]}}");
  }

  @Test
  void finalizersAreASet() throws Exception {
    JsonNode result =
        apply(
            "{\"metadata\":{\"finalizers\":[\"a\"]}}",
            "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}");

    assertThat(result.path("metadata").path("finalizers").toString()).isEqualTo("[\"a\",\"b\"]");
  }

  @Test
  void mergePatchFollowsRfc7386() throws Exception {
    JsonNode result =
        MergePatch.apply(
            json.readTree("{\"a\":{\"b\":1,\"c\":2},\"list\":[1,2,3]}"),
            json.readTree("{\"a\":{\"b\":null,\"d\":4},\"list\":[9]}"));

    assertThat(result.toString()).isEqualTo("{\"a\":{\"c\":2,\"d\":4},\"list\":[9]}");
  }
}
