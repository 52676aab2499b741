package io.corebus.runtime.bus;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** The bus's Prometheus figures: calls served and made, by method and gRPC status code. */
public final class BusMetrics {
  /** The {@code transport} tag of calls that travelled as Kafka records. */
  public static final String BUS = "bus";

  /** The {@code transport} tag of calls that travelled as direct gRPC (hybrid routes). */
  public static final String DIRECT = "direct";

  private final MeterRegistry registry;
  private final TelemetryWindow window = new TelemetryWindow();

  public BusMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The counts the runtime publishes as telemetry once a second. */
  public TelemetryWindow window() {
    return window;
  }

  void eventHandled(String type) {
    window.eventHandled();
    registry.counter("corebus.events.handled", "type", type).increment();
  }

  void eventDeadLettered(String type) {
    window.deadLettered();
    registry.counter("corebus.events.dead.letters", "type", type).increment();
  }

  void requestHandled(String method, int code, long nanos) {
    requestHandled(method, code, nanos, BUS);
  }

  void requestHandled(String method, int code, long nanos, String transport) {
    window.requestHandled(code, nanos);
    Timer.builder("corebus.rpc.server.duration")
        .description("Time to handle a call, from the bus or direct gRPC")
        .tag("method", method)
        .tag("code", codeName(code))
        .tag("transport", transport)
        .publishPercentileHistogram()
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  void requestExpired(String method) {
    registry.counter("corebus.rpc.server.expired", "method", method).increment();
  }

  void requestDeduplicated(String method) {
    registry.counter("corebus.rpc.server.deduplicated", "method", method).increment();
  }

  void requestMalformed() {
    registry.counter("corebus.rpc.server.malformed").increment();
  }

  void callCompleted(String method, Status.Code code, long nanos, String transport) {
    Timer.builder("corebus.rpc.client.duration")
        .description("Time from making a call to its outcome; transport of the last attempt")
        .tag("method", method)
        .tag("code", code.name())
        .tag("transport", transport)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  void callRetried(String method) {
    registry.counter("corebus.rpc.client.retries", "method", method).increment();
  }

  void directFallback(String method) {
    registry.counter("corebus.rpc.client.direct.fallbacks", "method", method).increment();
  }

  void routeMalformed() {
    registry.counter("corebus.routes.malformed").increment();
  }

  private static String codeName(int code) {
    return Status.fromCodeValue(code).getCode().name();
  }
}
