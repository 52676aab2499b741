package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusHeaders;
import io.corebus.testplugin.EchoService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two RpcServers sharing one idempotency window, as the versions before and after a hot swap do: a
 * call the first ran (or is running) is answered from the window by the second, whose handler never
 * sees it.
 */
class RpcServerTest {
  private final ExecutorService workers = Executors.newFixedThreadPool(4);
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final CompletedCalls window = new CompletedCalls(Duration.ofMinutes(5));

  @AfterEach
  void stop() {
    workers.shutdownNow();
    scheduler.shutdownNow();
  }

  /** A version whose handler counts its executions and answers {@code <version>: <input>}. */
  private final class Version {
    final AtomicInteger executions = new AtomicInteger();
    final CountDownLatch gate;
    final RpcServer server;

    Version(String version, CountDownLatch gate) {
      this.gate = gate;
      ServiceRegistry registry = new ServiceRegistry();
      registry.register(
          ServerServiceDefinition.builder(EchoService.SERVICE)
              .addMethod(
                  EchoService.SAY,
                  ServerCalls.asyncUnaryCall(
                      (StringValue in, io.grpc.stub.StreamObserver<StringValue> out) -> {
                        executions.incrementAndGet();
                        try {
                          gate.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        out.onNext(StringValue.of(version + ": " + in.getValue()));
                        out.onCompleted();
                      }))
              .build());
      server =
          new RpcServer(
              registry,
              producer,
              new RuntimeIdentity("ns", "echo", "echo-0", version),
              workers,
              scheduler,
              window,
              Clock.systemUTC(),
              new BusMetrics(new SimpleMeterRegistry()),
              AllowedCallers.anyone(),
              null,
              io.corebus.runtime.security.CallAudit.toLog());
    }
  }

  private static ConsumerRecord<byte[], byte[]> request(
      String correlationId, String key, String text) {
    ConsumerRecord<byte[], byte[]> r =
        new ConsumerRecord<>(
            "requests",
            0,
            0,
            key.getBytes(StandardCharsets.UTF_8),
            StringValue.of(text).toByteArray());
    Records.put(r.headers(), BusHeaders.CORRELATION_ID, correlationId);
    Records.put(r.headers(), BusHeaders.IDEMPOTENCY_KEY, key);
    Records.put(r.headers(), BusHeaders.METHOD, EchoService.SAY.getFullMethodName());
    Records.put(
        r.headers(), BusHeaders.DEADLINE, Long.toString(System.currentTimeMillis() + 10_000));
    Records.put(r.headers(), BusHeaders.CALLER, "caller");
    Records.put(r.headers(), BusHeaders.REPLY_TO, "replies");
    Records.put(r.headers(), BusHeaders.REPLY_PARTITION, "0");
    return r;
  }

  /** The text of the reply sent for {@code correlationId}. */
  private String replyTo(String correlationId) throws InvalidProtocolBufferException {
    List<ProducerRecord<byte[], byte[]>> sent =
        producer.history().stream()
            .filter(
                r -> correlationId.equals(Records.header(r.headers(), BusHeaders.CORRELATION_ID)))
            .toList();
    assertThat(sent).as("replies to %s", correlationId).hasSize(1);
    assertThat(Records.header(sent.get(0).headers(), BusHeaders.STATUS)).isEqualTo("0");
    return StringValue.parseFrom(sent.get(0).value()).getValue();
  }

  @Test
  void aCallCompletedByTheOldVersionIsAnsweredByTheNewOneWithoutRunningIt() throws Exception {
    CountDownLatch open = new CountDownLatch(0);
    Version v1 = new Version("1.0.0", open);
    Version v2 = new Version("2.0.0", open);

    v1.server.handle(request("c1", "key-1", "hello")).get(10, TimeUnit.SECONDS);
    v2.server.handle(request("c2", "key-1", "hello")).get(10, TimeUnit.SECONDS);
    v2.server.handle(request("c3", "key-2", "hello")).get(10, TimeUnit.SECONDS);

    assertThat(replyTo("c1")).isEqualTo("1.0.0: hello");
    assertThat(replyTo("c2")).as("the retry gets the first reply").isEqualTo("1.0.0: hello");
    assertThat(replyTo("c3")).as("a new call runs on the new version").isEqualTo("2.0.0: hello");
    assertThat(v1.executions).hasValue(1);
    assertThat(v2.executions).as("only the new call ran on 2.0.0").hasValue(1);
  }

  @Test
  void aRetryWhileTheOldVersionStillRunsTheCallWaitsForItsReply() throws Exception {
    CountDownLatch gate = new CountDownLatch(1);
    Version v1 = new Version("1.0.0", gate);
    Version v2 = new Version("2.0.0", new CountDownLatch(0));

    CompletableFuture<Void> first = v1.server.handle(request("c1", "key-1", "slow"));
    await().atMost(Duration.ofSeconds(10)).until(() -> v1.executions.get() == 1);
    CompletableFuture<Void> retry = v2.server.handle(request("c2", "key-1", "slow"));
    assertThat(retry).as("waits for the running execution").isNotDone();
    assertThat(producer.history()).isEmpty();

    gate.countDown();
    first.get(10, TimeUnit.SECONDS);
    retry.get(10, TimeUnit.SECONDS);
    assertThat(replyTo("c1")).isEqualTo("1.0.0: slow");
    assertThat(replyTo("c2")).isEqualTo("1.0.0: slow");
    assertThat(v2.executions).as("2.0.0 never ran it").hasValue(0);
  }
}
