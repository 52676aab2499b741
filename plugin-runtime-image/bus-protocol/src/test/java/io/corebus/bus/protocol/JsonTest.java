package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writesAndReadsBackNestedValuesAndEscapes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "quote \" backslash \\ newline \n tab \t bell \u0007 é");
    m.put("n", -42L);
    m.put("b", true);
    m.put("z", null);
    m.put("l", Arrays.asList(1L, "x", null, List.of()));

    assertThat(Json.parse(Json.write(m))).isEqualTo(m);
  }

  @Test
  void refusesWhatIsNotStrictJson() {
    for (String bad :
        List.of(
            "",
            "{",
            "{\"a\":1,}",
            "{\"a\":1}{",
            "{'a':1}",
            "{\"a\":01.5}",
            "{\"a\":1.5}",
            "{\"a\":\"\\x\"}",
            "{\"a\":1,\"a\":2}",
            "{\"a\":\"line\nbreak\"}",
            "[".repeat(20) + "]".repeat(20),
            "{\"a\":99999999999999999999}",
            "nul")) {
      assertThatThrownBy(() -> Json.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("position");
    }
  }
}
