package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The Argo CD health check (gitops/argocd-plugin-health.lua) run by a Lua engine (LuaJ; Argo CD
 * runs gopher-lua, both Lua 5.1 to 5.2) on Plugin statuses as the operator writes them.
 */
class ArgoCdHealthCheckTest {

  record Health(String status, String message) {}

  @Test
  void aPluginTheOperatorHasNotSeenYetIsProgressing() {
    Health h = health(Map.of("metadata", Map.of("name", "greeter", "generation", 1)));

    assertThat(h.status()).isEqualTo("Progressing");
    assertThat(h.message()).contains("Waiting for the Corebus operator");
  }

  @Test
  void aReadyFullyRolledOutPluginIsHealthy() {
    Health h =
        health(
            plugin(
                2,
                2,
                condition("Ready", "True", "PodsReady", "2/2 pods ready"),
                condition("Progressing", "False", "Complete", "revision abc rolled out"),
                condition("Degraded", "False", "AsExpected", "")));

    assertThat(h).isEqualTo(new Health("Healthy", "PodsReady: 2/2 pods ready"));
  }

  @Test
  void aRollingPluginIsProgressing() {
    Health h =
        health(
            plugin(
                3,
                3,
                condition("Ready", "True", "PodsReady", "2/2 pods ready"),
                condition("Progressing", "True", "RollingUpdate", "1/2 pods updated"),
                condition("Degraded", "False", "AsExpected", "")));

    assertThat(h).isEqualTo(new Health("Progressing", "RollingUpdate: 1/2 pods updated"));
  }

  @Test
  void aSpecTheOperatorHasNotObservedYetIsProgressingWhateverTheOldStatusSays() {
    Health h =
        health(
            plugin(
                4,
                3,
                condition("Ready", "True", "PodsReady", "2/2 pods ready"),
                condition("Progressing", "False", "Complete", ""),
                condition("Degraded", "False", "AsExpected", "")));

    assertThat(h.status()).isEqualTo("Progressing");
    assertThat(h.message()).contains("generation 4");
  }

  @Test
  void anInvalidPluginIsDegradedWithTheValidationMessage() {
    Health h =
        health(
            plugin(
                1,
                1,
                condition(
                    "Ready", "False", "DuplicateServiceProvider", "shop.Api is provided by a"),
                condition("Progressing", "False", "Blocked", "fix the Plugin"),
                condition(
                    "Degraded", "True", "DuplicateServiceProvider", "shop.Api is provided by a")));

    assertThat(h)
        .isEqualTo(new Health("Degraded", "DuplicateServiceProvider: shop.Api is provided by a"));
  }

  @Test
  void aKafkaOutageIsDegraded() {
    Health h =
        health(
            plugin(
                1,
                1,
                condition("Ready", "True", "PodsReady", "1/1 pods ready"),
                condition("Progressing", "False", "Complete", ""),
                condition("Degraded", "True", "KafkaUnavailable", "cannot reach kafka:9092")));

    assertThat(h.status()).isEqualTo("Degraded");
    assertThat(h.message()).startsWith("KafkaUnavailable");
  }

  @Test
  void podsStillStartingAreProgressing() {
    Health h =
        health(
            plugin(
                1,
                1,
                condition("Ready", "False", "PodsNotReady", "0/1 pods ready"),
                condition("Progressing", "False", "Complete", ""),
                condition("Degraded", "False", "AsExpected", "")));

    assertThat(h).isEqualTo(new Health("Progressing", "PodsNotReady: 0/1 pods ready"));
  }

  private static Map<String, Object> plugin(
      int generation, int observedGeneration, Map<String, Object>... conditions) {
    return Map.of(
        "metadata",
        Map.of("name", "greeter", "generation", generation),
        "status",
        Map.of("observedGeneration", observedGeneration, "conditions", List.of(conditions)));
  }

  private static Map<String, Object> condition(
      String type, String status, String reason, String message) {
    return Map.of("type", type, "status", status, "reason", reason, "message", message);
  }

  private static Health health(Map<String, Object> plugin) {
    try {
      Path script =
          RenderedChart.chartDir()
              .getParent()
              .resolve("gitops")
              .resolve("argocd-plugin-health.lua");
      Globals globals = JsePlatform.standardGlobals();
      globals.set("obj", lua(plugin));
      LuaValue result = globals.load(Files.readString(script), "argocd-plugin-health.lua").call();
      return new Health(result.get("status").tojstring(), result.get("message").tojstring());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Java maps, lists, strings and numbers as Lua tables and values, as Argo CD passes objects. */
  private static LuaValue lua(Object value) {
    if (value instanceof Map<?, ?> map) {
      LuaTable t = new LuaTable();
      map.forEach((k, v) -> t.set(k.toString(), lua(v)));
      return t;
    }
    if (value instanceof List<?> list) {
      LuaTable t = new LuaTable();
      for (int i = 0; i < list.size(); i++) {
        t.set(i + 1, lua(list.get(i)));
      }
      return t;
    }
    if (value instanceof Integer i) {
      return LuaValue.valueOf(i);
    }
    return LuaValue.valueOf(value.toString());
  }
}
