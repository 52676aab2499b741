package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestTopicsTest {
  final BusTopics topics = BusTopics.forNamespace("shop");

  @Test
  void givenTopicsWinAndOtherServicesUseTheNamingConvention() {
    RequestTopics t = RequestTopics.parse("shop.A=custom.topic.a; shop.B = b.v2 ;");

    assertThat(t.topicOf("shop.A", topics)).isEqualTo("custom.topic.a");
    assertThat(t.topicOf("shop.B", topics)).isEqualTo("b.v2");
    assertThat(t.topicOf("shop.C", topics)).isEqualTo("corebus.shop.rpc.shop.C");
    assertThat(RequestTopics.parse(t.format()).format())
        .isEqualTo("shop.A=custom.topic.a;shop.B=b.v2");
    assertThat(RequestTopics.parse(null).topicOf("shop.A")).isEmpty();
  }

  @Test
  void malformedEntriesAreRefusedByName() {
    assertThatThrownBy(() -> RequestTopics.parse("shop.A")).hasMessageContaining("'shop.A'");
    assertThatThrownBy(() -> RequestTopics.parse("shop.A=bad topic"))
        .hasMessageContaining("'bad topic' is not a legal Kafka topic name");
    assertThatThrownBy(() -> RequestTopics.of(Map.of("shop.A", "")))
        .hasMessageContaining("not a legal Kafka topic name");
  }
}
