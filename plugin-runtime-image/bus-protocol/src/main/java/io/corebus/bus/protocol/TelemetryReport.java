package io.corebus.bus.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What one runtime instance reports once a second on {@link BusTopics#telemetry()} (record key: the
 * instance name; value: {@link #toJson()}, UTF-8). Counts cover the window that ended at {@code
 * timeMillis}; the operator adds up the instances of a plug-in (and of one version, for canary
 * analysis). The latency histogram has fixed buckets so that histograms of many instances can be
 * added before a quantile is taken.
 *
 * @param requests calls this instance finished handling in the window
 * @param errors of those, calls that ended with a server-fault code ({@link #isServerFault})
 * @param inFlight calls and events being handled at the end of the window
 * @param lag records waiting in this instance's assigned request partitions (-1 when unknown)
 * @param events events handled in the window
 * @param deadLetters events sent to the dead-letter topic in the window
 * @param latencyCounts calls per {@link #LATENCY_BUCKETS_MILLIS} bucket (a call of {@code d} ms
 *     counts in the first bucket whose bound is &ge; d), plus a last entry for slower calls
 * @param sha256 the SHA-256 of the jar the instance runs now (null for plug-ins in an image): with
 *     {@code version}, what a hot swap is complete on
 * @param swapError why the last hot swap this instance tried failed (it still runs {@code
 *     version}), or null when it did not fail. Both are missing in reports of older runtimes.
 */
public record TelemetryReport(
    String namespace,
    String plugin,
    String version,
    String revision,
    String instance,
    long timeMillis,
    long windowMillis,
    long requests,
    long errors,
    long inFlight,
    long lag,
    long events,
    long deadLetters,
    long[] latencyCounts,
    String sha256,
    String swapError) {

  /** Upper bounds of the latency buckets, in milliseconds. */
  public static final long[] LATENCY_BUCKETS_MILLIS = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
  };

  public TelemetryReport {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(instance, "instance");
    if (latencyCounts == null || latencyCounts.length != LATENCY_BUCKETS_MILLIS.length + 1) {
      throw new IllegalArgumentException(
          "latencyCounts needs " + (LATENCY_BUCKETS_MILLIS.length + 1) + " entries");
    }
  }

  /** A report without hot-swap information (a plug-in that never swapped, or an image). */
  public TelemetryReport(
      String namespace,
      String plugin,
      String version,
      String revision,
      String instance,
      long timeMillis,
      long windowMillis,
      long requests,
      long errors,
      long inFlight,
      long lag,
      long events,
      long deadLetters,
      long[] latencyCounts) {
    this(
        namespace,
        plugin,
        version,
        revision,
        instance,
        timeMillis,
        windowMillis,
        requests,
        errors,
        inFlight,
        lag,
        events,
        deadLetters,
        latencyCounts,
        null,
        null);
  }

  /** The bucket a call of this many milliseconds counts in. */
  public static int bucketOf(double millis) {
    for (int i = 0; i < LATENCY_BUCKETS_MILLIS.length; i++) {
      if (millis <= LATENCY_BUCKETS_MILLIS[i]) {
        return i;
      }
    }
    return LATENCY_BUCKETS_MILLIS.length;
  }

  /**
   * Whether a gRPC status code (by number) is the server's fault, for error rates: UNKNOWN (2),
   * DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8), UNIMPLEMENTED (12), INTERNAL (13), UNAVAILABLE
   * (14), DATA_LOSS (15). Codes such as NOT_FOUND or INVALID_ARGUMENT are answers, not failures.
   */
  public static boolean isServerFault(int code) {
    return code == 2
        || code == 4
        || code == 8
        || code == 12
        || code == 13
        || code == 14
        || code == 15;
  }

  /** Requests per second over the window. */
  public double qps() {
    return windowMillis <= 0 ? 0 : requests * 1000.0 / windowMillis;
  }

  /**
   * The upper bound of the bucket holding quantile {@code q} (0..1) of merged counts, in
   * milliseconds; empty when there were no calls. Slower-than-all-buckets yields +Infinity.
   */
  public static OptionalDouble quantileMillis(long[] counts, double q) {
    long total = Arrays.stream(counts).sum();
    if (total == 0) {
      return OptionalDouble.empty();
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= Math.max(1, rank)) {
        return OptionalDouble.of(
            i < LATENCY_BUCKETS_MILLIS.length
                ? LATENCY_BUCKETS_MILLIS[i]
                : Double.POSITIVE_INFINITY);
      }
    }
    return OptionalDouble.of(Double.POSITIVE_INFINITY);
  }

  /** Adds histograms of several reports. */
  public static long[] mergeLatency(List<TelemetryReport> reports) {
    long[] sum = new long[LATENCY_BUCKETS_MILLIS.length + 1];
    for (TelemetryReport r : reports) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] += r.latencyCounts[i];
      }
    }
    return sum;
  }

  public String toJson() {
    StringBuilder b = new StringBuilder(256).append('{');
    field(b, "protocol", BusHeaders.PROTOCOL_VERSION).append(',');
    field(b, "namespace", namespace).append(',');
    field(b, "plugin", plugin).append(',');
    field(b, "version", version).append(',');
    field(b, "revision", revision).append(',');
    field(b, "instance", instance).append(',');
    b.append("\"timeMillis\":").append(timeMillis).append(',');
    b.append("\"windowMillis\":").append(windowMillis).append(',');
    b.append("\"requests\":").append(requests).append(',');
    b.append("\"errors\":").append(errors).append(',');
    b.append("\"inFlight\":").append(inFlight).append(',');
    b.append("\"lag\":").append(lag).append(',');
    b.append("\"events\":").append(events).append(',');
    b.append("\"deadLetters\":").append(deadLetters).append(',');
    b.append("\"latencyBucketsMillis\":")
        .append(Arrays.toString(LATENCY_BUCKETS_MILLIS).replace(" ", ""));
    b.append(",\"latencyCounts\":").append(Arrays.toString(latencyCounts).replace(" ", ""));
    // Written only when set, so reports without them read as before.
    if (sha256 != null) {
      field(b.append(','), "sha256", sha256);
    }
    if (swapError != null) {
      field(b.append(','), "swapError", swapError);
    }
    return b.append('}').toString();
  }

  private static StringBuilder field(StringBuilder b, String name, String value) {
    b.append('"').append(name).append("\":");
    if (value == null) {
      return b.append("null");
    }
    b.append('"');
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

  /**
   * Parses {@link #toJson()} output. Unknown fields are ignored, so newer runtimes can add some.
   *
   * @throws IllegalArgumentException for anything that is not such a report
   */
  public static TelemetryReport fromJson(String json) {
    Map<String, Object> f = new FlatJson(json).object();
    long[] counts =
        ((List<?>) f.getOrDefault("latencyCounts", List.of()))
            .stream().mapToLong(o -> ((Number) o).longValue()).toArray();
    return new TelemetryReport(
        (String) f.get("namespace"),
        (String) f.get("plugin"),
        (String) f.get("version"),
        (String) f.get("revision"),
        (String) f.get("instance"),
        num(f, "timeMillis"),
        num(f, "windowMillis"),
        num(f, "requests"),
        num(f, "errors"),
        num(f, "inFlight"),
        num(f, "lag"),
        num(f, "events"),
        num(f, "deadLetters"),
        counts,
        f.get("sha256") instanceof String sha ? sha : null,
        f.get("swapError") instanceof String error ? error : null);
  }

  private static long num(Map<String, Object> f, String key) {
    Object v = f.get(key);
    return v instanceof Number n ? n.longValue() : 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TelemetryReport r && toJson().equals(r.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return toJson();
  }

  /** A parser for one flat JSON object: string, number, null and number-array values. */
  private static final class FlatJson {
    private final String s;
    private int i;

    FlatJson(String s) {
      this.s = Objects.requireNonNull(s, "json");
    }

    Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      expect('{');
      if (peek() == '}') {
        i++;
        return m;
      }
      do {
        String key = string();
        expect(':');
        m.put(key, value());
      } while (comma());
      expect('}');
      return m;
    }

    private Object value() {
      char c = peek();
      if (c == '"') {
        return string();
      }
      if (c == '[') {
        i++;
        List<Object> list = new ArrayList<>();
        if (peek() == ']') {
          i++;
          return list;
        }
        do {
          list.add(value());
        } while (comma());
        expect(']');
        return list;
      }
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      if (start == i) {
        throw error("a value");
      }
      String n = s.substring(start, i);
      return n.contains(".") || n.contains("e") || n.contains("E")
          ? (Number) Double.parseDouble(n)
          : (Number) Long.parseLong(n);
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (i < s.length() && s.charAt(i) != '"') {
        char c = s.charAt(i++);
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            default -> b.append(e);
          }
        } else {
          b.append(c);
        }
      }
      expect('"');
      return b.toString();
    }

    private boolean comma() {
      if (peek() == ',') {
        i++;
        return true;
      }
      return false;
    }

    private char peek() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= s.length()) {
        throw error("more input");
      }
      return s.charAt(i);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("'" + c + "'");
      }
      i++;
    }

    private IllegalArgumentException error(String expected) {
      return new IllegalArgumentException(
          "not a telemetry report: expected " + expected + " at position " + i);
    }
  }
}
