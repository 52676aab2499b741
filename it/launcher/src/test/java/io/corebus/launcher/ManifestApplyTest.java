package io.corebus.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestApplyTest {

  @Test
  void aDirectoryGivesItsYamlFilesSortedByName(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("payment.yaml"), "kind: Plugin");
    Files.writeString(dir.resolve("inventory.yml"), "kind: Plugin");
    Files.writeString(dir.resolve("README.md"), "not a manifest");

    assertThat(ManifestApply.yamlFiles(dir))
        .containsExactly(dir.resolve("inventory.yml"), dir.resolve("payment.yaml"));
  }

  @Test
  void aMissingPathOrADirectoryWithoutYamlIsAClearError(@TempDir Path dir) {
    assertThatThrownBy(() -> ManifestApply.yamlFiles(dir.resolve("nope")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope: no such file or directory");
    assertThatThrownBy(() -> ManifestApply.yamlFiles(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("holds no .yaml files");
  }

  @Test
  void latencyPercentilesAreOfTheRecordedCalls() {
    OrderTraffic.Latencies l = new OrderTraffic.Latencies();
    assertThat(l.percentileMillis(50)).isNaN();
    for (int ms = 1; ms <= 100; ms++) {
      l.record(ms * 1_000_000L);
    }
    assertThat(l.percentileMillis(50)).isEqualTo(50.0);
    assertThat(l.percentileMillis(99)).isEqualTo(99.0);
    assertThat(l.percentileMillis(100)).isEqualTo(100.0);
  }
}
