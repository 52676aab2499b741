package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The route table against the real broker: two versions of the Echo service, each consuming its own
 * request topic (the operator's choice) and serving direct gRPC, and a caller that follows the
 * routes the test publishes as the operator would.
 */
class BusRouteIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final BusTopics topics = BusTopics.forNamespace("routes");
  static final String SERVICE = EchoService.SERVICE;
  static final String TOPIC_V1 = topics.requests(SERVICE) + ".v1";
  static final String TOPIC_V2 = topics.requests(SERVICE) + ".v2";

  static final List<AutoCloseable> closing = new ArrayList<>();
  static final SimpleMeterRegistry meters1 = new SimpleMeterRegistry();
  static final SimpleMeterRegistry meters2 = new SimpleMeterRegistry();
  static final SimpleMeterRegistry callerMeters = new SimpleMeterRegistry();
  static ExecutorService workers;
  static ScheduledExecutorService scheduler;
  static Admin admin;
  static KafkaProducer<byte[], byte[]> producer;
  static RoutePublisher publisher;
  static RouteTable routes;
  static BusChannel channel;
  static DirectServer direct1;
  static final List<LogRecord> routeLog = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    String bootstrap = kafka.bootstrapServers();
    kafka.broker().createTopic(TOPIC_V1, 2);
    kafka.broker().createTopic(TOPIC_V2, 2);
    workers = Executors.newFixedThreadPool(8);
    scheduler = Executors.newScheduledThreadPool(2);
    admin = Admin.create(KafkaSettings.admin(bootstrap, "routes-admin"));
    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "routes-it", 0));
    publisher = new RoutePublisher(bootstrap, topics, kafka.broker()::createTopic);
    closing.add(publisher);

    // Two versions of plug-in "echo": one consumer group, each version its own topic.
    List<CommittingConsumer> consumers = new ArrayList<>();
    direct1 = callee("1.0.0", TOPIC_V1, meters1, consumers);
    callee("2.0.0", TOPIC_V2, meters2, consumers);

    java.util.logging.Logger.getLogger(RouteTable.class.getName())
        .addHandler(
            new Handler() {
              @Override
              public void publish(LogRecord r) {
                routeLog.add(r);
              }

              @Override
              public void flush() {}

              @Override
              public void close() {}
            });
    routes =
        new RouteTable(
            topics.routes(),
            KafkaSettings.routeConsumer(bootstrap, "routes-caller"),
            new BusMetrics(callerMeters));
    routes.start();
    closing.add(routes);
    String slotTopic = topics.replies("caller", "caller-0");
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    ReplySlot slot = new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, "rt-reply"));
    slot.start();
    closing.add(slot);
    DirectChannels directChannels = new DirectChannels();
    routes.onEndpointsChanged(directChannels::retainOnly);
    closing.add(directChannels);
    channel =
        new BusChannel(
            routes,
            directChannels,
            slot,
            producer,
            new RuntimeIdentity("routes", "caller", "caller-0", "1"),
            Duration.ofSeconds(10),
            3,
            scheduler,
            workers,
            new BusMetrics(callerMeters));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                slot.ready()
                    && routes.caughtUp()
                    && consumers.stream().allMatch(CommittingConsumer::joined));
  }

  private static DirectServer callee(
      String version, String topic, MeterRegistry meters, List<CommittingConsumer> consumers)
      throws Exception {
    ServiceRegistry registry = new ServiceRegistry();
    registry.register(new EchoService());
    BusMetrics metrics = new BusMetrics(meters);
    RuntimeIdentity id = new RuntimeIdentity("routes", "echo", "echo-" + version, version);
    RpcServer server =
        new RpcServer(
            registry,
            producer,
            id,
            workers,
            scheduler,
            Duration.ofMinutes(5),
            Clock.systemUTC(),
            metrics,
            AllowedCallers.anyone());
    CommittingConsumer c =
        new CommittingConsumer(
            "echo-" + version,
            KafkaSettings.groupConsumer(
                kafka.bootstrapServers(),
                topics.requestGroup("echo"),
                "echo-" + version,
                16,
                Duration.ofSeconds(6)),
            List.of(topic),
            server::handle,
            16,
            Duration.ofSeconds(5));
    c.start();
    consumers.add(c);
    closing.add(c);
    DirectServer direct =
        new DirectServer(
                null,
                0,
                registry.definitions(Set.of(SERVICE)),
                AllowedCallers.anyone(),
                workers,
                metrics)
            .start();
    closing.add(direct);
    return direct;
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    producer.close();
    admin.close();
    workers.shutdownNow();
    scheduler.shutdownNow();
  }

  static String say(String text) {
    return ClientCalls.blockingUnaryCall(
            channel,
            EchoService.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            StringValue.of(text))
        .getValue();
  }

  static long handled(MeterRegistry meters, String transport) {
    return meters.find("corebus.rpc.server.duration").tag("transport", transport).timers().stream()
        .mapToLong(Timer::count)
        .sum();
  }

  static long endOffsets(String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
    for (int p = 0; p < 2; p++) {
      q.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin.listOffsets(q).all().get(10, TimeUnit.SECONDS).values().stream()
        .mapToLong(o -> o.offset())
        .sum();
  }

  static ServiceRoute weights(int v1, int v2) {
    return new ServiceRoute(
        SERVICE,
        ServiceRoute.Transport.BUS,
        List.of(),
        List.of(
            VersionRoute.bus("echo", "1.0.0", "r1", v1, TOPIC_V1),
            VersionRoute.bus("echo", "2.0.0", "r2", v2, TOPIC_V2)));
  }

  static void publishAndAwait(ServiceRoute route) {
    publisher.publish(route);
    await("the caller sees the new route")
        .atMost(Duration.ofSeconds(10))
        .until(() -> routes.route(SERVICE).equals(Optional.of(route)));
  }

  static StatusRuntimeException failure(String text) {
    try {
      say(text);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void callsGoToTheVersionsTheWeightsNameAndFollowRouteChangesWithoutRestart() {
    publishAndAwait(weights(100, 0));
    long v1 = handled(meters1, "bus");
    long v2 = handled(meters2, "bus");
    for (int i = 0; i < 10; i++) {
      assertThat(say("a" + i)).isEqualTo("echo: a" + i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> handled(meters1, "bus") == v1 + 10);
    assertThat(handled(meters2, "bus")).isEqualTo(v2);

    publishAndAwait(weights(0, 100));
    for (int i = 0; i < 10; i++) {
      say("b" + i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> handled(meters2, "bus") == v2 + 10);
    assertThat(handled(meters1, "bus")).isEqualTo(v1 + 10);

    publishAndAwait(weights(30, 70));
    for (int i = 0; i < 10; i++) {
      say("c" + i);
    }
    // Smooth weighted round-robin: exactly 3 and 7 of 10 calls from this caller.
    await().atMost(Duration.ofSeconds(5)).until(() -> handled(meters2, "bus") == v2 + 17);
    assertThat(handled(meters1, "bus")).isEqualTo(v1 + 13);
  }

  @Test
  void aRemovedRouteIsNotFoundAndARouteWithoutWeightIsUnavailable() {
    publishAndAwait(weights(0, 0));
    StatusRuntimeException e = failure("x");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("every weight in its route is 0");

    publisher.remove(SERVICE);
    await().atMost(Duration.ofSeconds(10)).until(() -> routes.route(SERVICE).isEmpty());
    e = failure("x");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).contains("no plug-in provides " + SERVICE);

    publishAndAwait(weights(100, 0));
    assertThat(say("back")).isEqualTo("echo: back");
  }

  @Test
  void aHybridRouteCallsTheEndpointDirectlyAndNoRecordCrossesKafka() throws Exception {
    Endpoint endpoint = new Endpoint("127.0.0.1", direct1.port());
    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.HYBRID,
            List.of(),
            List.of(
                VersionRoute.bus("echo", "1.0.0", "r1", 100, TOPIC_V1)
                    .withEndpoints(List.of(endpoint)),
                VersionRoute.bus("echo", "2.0.0", "r2", 0, TOPIC_V2))));
    long recordsBefore = endOffsets(TOPIC_V1) + endOffsets(TOPIC_V2);
    long busBefore = handled(meters1, "bus");
    long directBefore = handled(meters1, "direct");

    for (int i = 0; i < 20; i++) {
      assertThat(say("direct " + i)).isEqualTo("echo: direct " + i);
    }

    assertThat(handled(meters1, "direct")).isEqualTo(directBefore + 20);
    assertThat(handled(meters1, "bus")).isEqualTo(busBefore);
    assertThat(handled(meters1, "bus")).isEqualTo(busBefore);
    assertThat(endOffsets(TOPIC_V1) + endOffsets(TOPIC_V2))
        .as("no request record was produced")
        .isEqualTo(recordsBefore);
    assertThat(
            callerMeters
                .find("corebus.rpc.client.duration")
                .tags("transport", "direct", "code", "OK")
                .timer()
                .count())
        .isGreaterThanOrEqualTo(20);
    assertThat(say("call-info")).matches("caller=caller key=[0-9a-f-]{36}");
    // Application errors come back with their code over the direct path too.
    assertThat(failure("fail:9:no stock").getStatus().getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void anUnreachableEndpointFallsBackToTheBusOrFailsTypedWithoutATopic() throws Exception {
    int nobody;
    try (var s = new java.net.ServerSocket(0)) {
      nobody = s.getLocalPort();
    }
    Endpoint dead = new Endpoint("127.0.0.1", nobody);
    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.HYBRID,
            List.of(),
            List.of(
                VersionRoute.bus("echo", "1.0.0", "r1", 100, TOPIC_V1)
                    .withEndpoints(List.of(dead)))));
    long busBefore = handled(meters1, "bus");

    assertThat(say("fall back")).isEqualTo("echo: fall back");
    await().atMost(Duration.ofSeconds(5)).until(() -> handled(meters1, "bus") == busBefore + 1);
    assertThat(callerMeters.find("corebus.rpc.client.direct.fallbacks").counter().count())
        .isGreaterThanOrEqualTo(1);

    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.HYBRID,
            List.of(),
            List.of(new VersionRoute("echo", "1.0.0", "r1", 100, null, List.of(dead)))));
    StatusRuntimeException e = failure("nowhere");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription())
        .contains("direct call to " + dead)
        .contains("no topic to fall back to");
  }

  @Test
  void theRoutesAllowedCallersStopOtherCallersBeforeAnyRecordIsSent() throws Exception {
    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.BUS,
            List.of("checkout"),
            List.of(VersionRoute.bus("echo", "1.0.0", "r1", 100, TOPIC_V1))));
    long recordsBefore = endOffsets(TOPIC_V1);

    StatusRuntimeException e = failure("let me in");

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getStatus().getDescription()).contains("caller may not call " + SERVICE);
    assertThat(endOffsets(TOPIC_V1)).isEqualTo(recordsBefore);
  }

  @Test
  void aMalformedRouteRecordIsSkippedAndLoggedAndLaterRecordsStillApply() {
    ServiceRoute good = weights(100, 0);
    publishAndAwait(good);
    double before = malformed();

    publisher.publishRaw(SERVICE, "{\"service\":\"" + SERVICE + "\",\"versions\":[{\"weight\":7}]");

    await().atMost(Duration.ofSeconds(10)).until(() -> malformed() == before + 1);
    assertThat(routes.route(SERVICE)).as("the previous route stays").contains(good);
    assertThat(say("still routed")).isEqualTo("echo: still routed");
    assertThat(routeLog)
        .anySatisfy(
            r ->
                assertThat(r.getMessage() + " " + Arrays.toString(r.getParameters()))
                    .contains("skipping route record")
                    .contains(topics.routes())
                    .contains("is not JSON"));

    publishAndAwait(weights(0, 100));
    assertThat(say("after")).isEqualTo("echo: after");
  }

  static ServiceRoute readyReplicas(int ready) {
    return new ServiceRoute(
        SERVICE,
        ServiceRoute.Transport.BUS,
        List.of(),
        List.of(VersionRoute.bus("echo", "1.0.0", "r1", 100, TOPIC_V1).withReady(ready)));
  }

  /** A call with its own deadline; the result or the failure, and how long it took. */
  static CompletableFuture<String> sayWithin(String text, Duration deadline) {
    return CompletableFuture.supplyAsync(
        () ->
            ClientCalls.blockingUnaryCall(
                    channel,
                    EchoService.SAY,
                    deadline == null
                        ? CallOptions.DEFAULT
                        : CallOptions.DEFAULT.withDeadlineAfter(
                            deadline.toMillis(), TimeUnit.MILLISECONDS),
                    StringValue.of(text))
                .getValue(),
        workers);
  }

  static StatusRuntimeException failureOf(CompletableFuture<String> call) {
    Throwable t = call.handle((ok, e) -> e).join();
    assertThat(t).as("the call failed").isNotNull();
    while (t.getCause() != null && !(t instanceof StatusRuntimeException)) {
      t = t.getCause();
    }
    assertThat(t).isInstanceOf(StatusRuntimeException.class);
    return (StatusRuntimeException) t;
  }

  static double retries() {
    return callerMeters.find("corebus.rpc.client.retries").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void aRouteWithoutAReadyReplicaFailsUnavailableBeforeTheDeadlineAndSendsNothing()
      throws Exception {
    publishAndAwait(readyReplicas(0));
    long recordsBefore = endOffsets(TOPIC_V1);
    double retriesBefore = retries();

    long start = System.nanoTime();
    StatusRuntimeException e = failureOf(sayWithin("anyone there?", Duration.ofSeconds(2)));
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("no ready replica of " + SERVICE);
    assertThat(elapsedMillis)
        .as("it waited for a replica, then gave up before the 2 s deadline")
        .isGreaterThanOrEqualTo(1_500)
        .isLessThan(2_000);
    assertThat(endOffsets(TOPIC_V1)).as("no request record was produced").isEqualTo(recordsBefore);
    assertThat(retries()).as("not retried").isEqualTo(retriesBefore);
    assertThat(routes.waitingCalls(SERVICE)).as("nobody left waiting").isZero();
  }

  @Test
  void aCallWaitingForAReadyReplicaIsSentAsSoonAsTheRouteHasOne() {
    publishAndAwait(readyReplicas(0));
    long start = System.nanoTime();
    CompletableFuture<String> call = sayWithin("first caller", Duration.ofSeconds(10));
    await("the call waits for the route to change")
        .atMost(Duration.ofSeconds(5))
        .until(() -> routes.waitingCalls(SERVICE) == 1);
    assertThat(call).isNotDone();

    publishAndAwait(readyReplicas(1));

    assertThat(call.join()).isEqualTo("echo: first caller");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
        .as("answered once the replica was Ready, well within the deadline")
        .isLessThan(5_000);
  }

  @Test
  void aCallerWithTheDefaultLongDeadlineGetsUnavailableWithinIt() {
    publishAndAwait(readyReplicas(0));
    double retriesBefore = retries();
    long start = System.nanoTime();
    // No deadline of its own: the channel's default (10 s) applies.
    CompletableFuture<String> call = sayWithin("patient", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> routes.waitingCalls(SERVICE) == 1);
    // A change that still names no Ready replica keeps it waiting, without a retry.
    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(
                VersionRoute.bus("echo", "1.0.0", "r1", 50, TOPIC_V1).withReady(0),
                VersionRoute.bus("echo", "2.0.0", "r2", 50, TOPIC_V2).withReady(0))));
    await().atMost(Duration.ofSeconds(5)).until(() -> routes.waitingCalls(SERVICE) == 1);

    StatusRuntimeException e = failureOf(call);
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("no ready replica of " + SERVICE);
    assertThat(elapsedMillis).isGreaterThanOrEqualTo(8_500).isLessThan(10_000);
    assertThat(retries()).isEqualTo(retriesBefore);
  }

  @Test
  void aVersionWithoutReadyReplicasIsSkippedWhileAnotherHasSome() {
    publishAndAwait(
        new ServiceRoute(
            SERVICE,
            ServiceRoute.Transport.BUS,
            List.of(),
            List.of(
                VersionRoute.bus("echo", "1.0.0", "r1", 50, TOPIC_V1).withReady(0),
                VersionRoute.bus("echo", "2.0.0", "r2", 50, TOPIC_V2).withReady(1))));
    long v1 = handled(meters1, "bus");
    long v2 = handled(meters2, "bus");
    for (int i = 0; i < 6; i++) {
      assertThat(say("r" + i)).isEqualTo("echo: r" + i);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> handled(meters2, "bus") == v2 + 6);
    assertThat(handled(meters1, "bus")).isEqualTo(v1);
  }

  static double malformed() {
    var c = callerMeters.find("corebus.routes.malformed").counter();
    return c == null ? 0 : c.count();
  }
}
