package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class KafkaBrokerClasspathTest {

  @Test
  void brokerClasspathHoldsTheBrokerAndALoggerButNoTestLibraries() {
    List<String> jars = List.of(KafkaBroker.brokerClasspath().split(File.pathSeparator));

    assertThat(jars).anyMatch(j -> j.endsWith("kafka_2.13-4.0.1.jar"));
    assertThat(jars).anyMatch(j -> j.contains("kafka-clients-4.0.1.jar"));
    assertThat(jars).anyMatch(j -> j.contains("slf4j-simple"));
    assertThat(jars).noneMatch(j -> j.contains("junit") || j.contains("assertj"));
  }
}
