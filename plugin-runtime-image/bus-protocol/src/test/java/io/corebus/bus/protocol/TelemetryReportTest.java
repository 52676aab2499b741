package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TelemetryReportTest {

  private static long[] counts(int... c) {
    long[] l = new long[TelemetryReport.LATENCY_BUCKETS_MILLIS.length + 1];
    for (int i = 0; i < c.length; i++) {
      l[i] = c[i];
    }
    return l;
  }

  private static TelemetryReport report(String instance, long requests, long[] latency) {
    return new TelemetryReport(
        "shop",
        "payment",
        "1.4.2",
        "abc123",
        instance,
        1_000_000L,
        1000,
        requests,
        1,
        2,
        30,
        4,
        0,
        latency);
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    TelemetryReport r = report("payment-0 \"quoted\"", 120, counts(0, 10, 100, 10));

    TelemetryReport back = TelemetryReport.fromJson(r.toJson());

    assertThat(back).isEqualTo(r);
    assertThat(back.instance()).isEqualTo("payment-0 \"quoted\"");
    assertThat(back.qps()).isEqualTo(120.0);
    assertThat(r.toJson()).contains("\"latencyBucketsMillis\":[1,2,5,10,25");
  }

  @Test
  void hotSwapFieldsRoundTripAndOldReportsReadWithout() {
    TelemetryReport old = report("payment-0", 1, counts(1));
    TelemetryReport swapped =
        new TelemetryReport(
            "shop",
            "payment",
            "2.0",
            "abc123",
            "payment-0",
            1,
            1000,
            1,
            0,
            0,
            0,
            0,
            0,
            counts(1),
            "f".repeat(64),
            "ChecksumMismatch: the jar has SHA-256 0123");

    assertThat(old.toJson()).doesNotContain("sha256").doesNotContain("swapError");
    assertThat(TelemetryReport.fromJson(old.toJson()).swapError()).isNull();
    TelemetryReport back = TelemetryReport.fromJson(swapped.toJson());
    assertThat(back.sha256()).isEqualTo("f".repeat(64));
    assertThat(back.swapError()).isEqualTo("ChecksumMismatch: the jar has SHA-256 0123");
  }

  @Test
  void histogramsOfInstancesAddUpBeforeTheQuantileIsTaken() {
    // instance a: 99 fast calls (<= 1 ms); instance b: 1 call of 800 ms
    long[] merged =
        TelemetryReport.mergeLatency(
            List.of(
                report("a", 99, counts(99)), report("b", 1, counts(0, 0, 0, 0, 0, 0, 0, 0, 0, 1))));

    assertThat(TelemetryReport.quantileMillis(merged, 0.5)).hasValue(1);
    assertThat(TelemetryReport.quantileMillis(merged, 0.99)).hasValue(1);
    assertThat(TelemetryReport.quantileMillis(merged, 1.0)).hasValue(1000);
    assertThat(TelemetryReport.quantileMillis(counts(), 0.99)).isEmpty();
    assertThat(TelemetryReport.bucketOf(0.3)).isZero();
    assertThat(TelemetryReport.bucketOf(60_000))
        .isEqualTo(TelemetryReport.LATENCY_BUCKETS_MILLIS.length);
  }

  @Test
  void serverFaultsAreTheCodesThatCountAsErrors() {
    assertThat(TelemetryReport.isServerFault(14)).as("UNAVAILABLE").isTrue();
    assertThat(TelemetryReport.isServerFault(2)).as("UNKNOWN").isTrue();
    assertThat(TelemetryReport.isServerFault(5)).as("NOT_FOUND").isFalse();
    assertThat(TelemetryReport.isServerFault(0)).as("OK").isFalse();
  }

  @Test
  void garbageIsRefusedClearly() {
    assertThatThrownBy(() -> TelemetryReport.fromJson("not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a telemetry report");
  }
}
