package io.corebus.runtime.bus;

import io.corebus.bus.protocol.TelemetryReport;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/**
 * Publishes a {@link TelemetryReport} of this instance once a second on the namespace's telemetry
 * topic, keyed by instance. On its own thread: a send to a missing topic may block for seconds, and
 * must not delay call deadlines.
 */
public final class TelemetryPublisher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(TelemetryPublisher.class);

  private final String topic;
  private final Producer<byte[], byte[]> producer;
  private final Supplier<Running> running;
  private final String revision;
  private final TelemetryWindow window;
  private final List<CommittingConsumer> consumers;
  private final CommittingConsumer requestConsumer;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "corebus-telemetry");
            t.setDaemon(true);
            return t;
          });
  private long windowStart = System.currentTimeMillis();
  private volatile boolean warned;

  public TelemetryPublisher(
      String topic,
      Producer<byte[], byte[]> producer,
      Supplier<Running> running,
      String revision,
      TelemetryWindow window,
      CommittingConsumer requestConsumer,
      List<CommittingConsumer> consumers) {
    this.topic = topic;
    this.producer = producer;
    this.running = running;
    this.revision = revision;
    this.window = window;
    this.requestConsumer = requestConsumer;
    this.consumers = List.copyOf(consumers);
  }

  /** A runtime with a fixed plug-in (no hot swap). */
  public TelemetryPublisher(
      String topic,
      Producer<byte[], byte[]> producer,
      RuntimeIdentity identity,
      String revision,
      TelemetryWindow window,
      CommittingConsumer requestConsumer,
      List<CommittingConsumer> consumers) {
    this(
        topic,
        producer,
        () -> new Running(identity, null, null),
        revision,
        window,
        requestConsumer,
        consumers);
  }

  /**
   * What the instance runs at the moment of a report: its identity (with the plug-in's version),
   * the jar's SHA-256 (null for an image) and why the last hot swap failed (null if it did not).
   */
  public record Running(RuntimeIdentity identity, String sha256, String swapError) {}

  public void start() {
    thread.scheduleAtFixedRate(this::publish, 1, 1, TimeUnit.SECONDS);
  }

  /** Builds the report of the window that ends now and starts the next one. */
  public TelemetryReport report() {
    long now = System.currentTimeMillis();
    TelemetryWindow.Counts c = window.drain();
    long inFlight = consumers.stream().mapToLong(CommittingConsumer::inFlight).sum();
    long lag = requestConsumer == null ? 0 : requestConsumer.lag();
    Running runs = running.get();
    RuntimeIdentity identity = runs.identity();
    TelemetryReport report =
        new TelemetryReport(
            identity.namespace(),
            identity.plugin(),
            identity.version(),
            revision,
            identity.instance(),
            now,
            now - windowStart,
            c.requests(),
            c.errors(),
            inFlight,
            lag,
            c.events(),
            c.deadLetters(),
            c.latency(),
            runs.sha256(),
            runs.swapError());
    windowStart = now;
    return report;
  }

  private void publish() {
    try {
      TelemetryReport report = report();
      producer.send(
          new ProducerRecord<>(
              topic,
              report.instance().getBytes(StandardCharsets.UTF_8),
              report.toJson().getBytes(StandardCharsets.UTF_8)),
          (md, e) -> {
            if (e != null && !warned) {
              warned = true;
              LOG.warnf("cannot publish telemetry to %s (reported once): %s", topic, e);
            }
          });
    } catch (RuntimeException e) {
      if (!warned) {
        warned = true;
        LOG.warnf("cannot publish telemetry to %s (reported once): %s", topic, e);
      }
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
