package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ControlCodecTest {
  private static final String SHA = "a".repeat(64);

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void roundTripKeepsEveryField() {
    DesiredArtifact d =
        new DesiredArtifact("payment", "1.5.0", "https://repo.example/p.jar", SHA, 7);

    assertThat(ControlCodec.decode(ControlCodec.key("payment"), ControlCodec.value(d))).contains(d);
    assertThat(ControlCodec.toJson(d))
        .isEqualTo(
            "{\"protocol\":\"1\",\"plugin\":\"payment\",\"version\":\"1.5.0\","
                + "\"jarUrl\":\"https://repo.example/p.jar\",\"sha256\":\""
                + SHA
                + "\",\"generation\":7}");
  }

  @Test
  void tombstoneMeansNoCommand() {
    assertThat(ControlCodec.decode(utf8("payment"), null)).isEmpty();
  }

  @Test
  void unknownFieldsAndMissingGenerationAreAccepted() {
    String json =
        "{\"plugin\":\"payment\",\"version\":\"2\",\"jarUrl\":\"file:/x.jar\",\"sha256\":\""
            + SHA
            + "\",\"newer\":true}";

    assertThat(ControlCodec.decode(utf8("payment"), utf8(json)))
        .hasValueSatisfying(d -> assertThat(d.generation()).isZero());
  }

  @Test
  void malformedRecordsNameTheKeyAndTheProblem() {
    assertThatThrownBy(() -> ControlCodec.decode(utf8("payment"), utf8("{\"plugin\":\"other\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'payment'")
        .hasMessageContaining("not the key");
    assertThatThrownBy(() -> ControlCodec.decode(utf8("payment"), utf8("{\"plugin\":\"payment\"}")))
        .hasMessageContaining("field 'version' must be a string");
    assertThatThrownBy(
            () ->
                ControlCodec.decode(
                    utf8("payment"), utf8("{\"protocol\":\"9\",\"plugin\":\"payment\"}")))
        .hasMessageContaining("protocol 9");
    assertThatThrownBy(() -> ControlCodec.decode(utf8("payment"), utf8("not json")))
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> ControlCodec.decode(null, utf8("{}"))).hasMessageContaining("no key");
  }

  @Test
  void sameArtifactIgnoresTheGeneration() {
    DesiredArtifact a = new DesiredArtifact("p", "1", "file:/a.jar", SHA, 1);

    assertThat(a.sameArtifact(new DesiredArtifact("p", "1", "file:/a.jar", SHA, 2))).isTrue();
    assertThat(a.sameArtifact(new DesiredArtifact("p", "1", "file:/a.jar", "b".repeat(64), 1)))
        .isFalse();
  }
}
