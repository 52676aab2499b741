package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.plugin.Event;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * RPC and events over a real Kafka broker: a callee (the Echo test service behind an RpcServer and
 * its group consumer) and a caller (reply slot + BusChannel used through grpc-java's stub calls).
 */
class BusRpcIT {
  @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();

  static final BusTopics topics = BusTopics.forNamespace("it");
  static final RuntimeIdentity caller = new RuntimeIdentity("it", "caller", "caller-0", "1.0");
  static final RuntimeIdentity callee = new RuntimeIdentity("it", "echo", "echo-0", "1.0.0");
  static final SimpleMeterRegistry calleeMeters = new SimpleMeterRegistry();
  static final SimpleMeterRegistry callerMeters = new SimpleMeterRegistry();

  static ExecutorService workers;
  static ScheduledExecutorService scheduler;
  static Admin admin;
  static KafkaProducer<byte[], byte[]> producer;
  static ReplySlot slot;
  static BusChannel channel;
  static CommittingConsumer requests;
  static RouteTable routes;
  static RoutePublisher publisher;

  @BeforeAll
  static void startCalleeAndCaller() throws Exception {
    String bootstrap = kafka.bootstrapServers();
    kafka.broker().createTopic(topics.requests(EchoService.SERVICE), 2);
    publisher = new RoutePublisher(bootstrap, topics, kafka.broker()::createTopic);
    publisher.publish(
        RoutePublisher.busRoute(EchoService.SERVICE, "echo", topics.requests(EchoService.SERVICE)));
    workers = Executors.newFixedThreadPool(8);
    scheduler = Executors.newScheduledThreadPool(2);
    admin = Admin.create(KafkaSettings.admin(bootstrap, "it-admin"));
    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, "it", 0));

    ServiceRegistry registry = new ServiceRegistry();
    registry.register(new EchoService());
    RpcServer server =
        new RpcServer(
            registry,
            producer,
            callee,
            workers,
            scheduler,
            Duration.ofMinutes(5),
            Clock.systemUTC(),
            new BusMetrics(calleeMeters),
            AllowedCallers.of(Map.of(EchoService.SERVICE, List.of("caller", "raw"))));
    requests =
        new CommittingConsumer(
            "it-requests",
            KafkaSettings.groupConsumer(bootstrap, topics.requestGroup("echo"), "it-rpc", 16),
            List.of(topics.requests(EchoService.SERVICE)),
            server::handle,
            16,
            Duration.ofSeconds(5));
    requests.start();

    String slotTopic = topics.replies(caller.plugin(), caller.instance());
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    slot = new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, "it-reply"));
    slot.start();
    routes =
        new RouteTable(
            topics.routes(),
            KafkaSettings.routeConsumer(bootstrap, "it-routes"),
            new BusMetrics(callerMeters));
    routes.start();
    channel =
        new BusChannel(
            routes,
            new DirectChannels(),
            slot,
            producer,
            caller,
            Duration.ofSeconds(10),
            3,
            scheduler,
            workers,
            new BusMetrics(callerMeters));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> slot.ready() && requests.joined() && routes.caughtUp());
  }

  @AfterAll
  static void stop() {
    requests.close();
    routes.close();
    publisher.close();
    slot.close();
    producer.close();
    admin.close();
    workers.shutdownNow();
    scheduler.shutdownNow();
  }

  static String say(String text, Duration deadline) {
    return ClientCalls.blockingUnaryCall(
            channel,
            EchoService.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS),
            StringValue.of(text))
        .getValue();
  }

  static String say(String text) {
    return say(text, Duration.ofSeconds(10));
  }

  @Test
  void aCallThroughAGeneratedStyleStubIsAnsweredOverTheBus() {
    assertThat(say("hello")).isEqualTo("echo: hello");
  }

  @Test
  void theHandlerSeesTheCallerAndTheCallsIdempotencyKey() {
    assertThat(say("call-info"))
        .matches("caller=caller key=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  }

  @Test
  void futureStubsWorkToo() throws Exception {
    var future =
        ClientCalls.futureUnaryCall(
            channel.newCall(EchoService.SAY, CallOptions.DEFAULT), StringValue.of("async"));
    assertThat(future.get(10, TimeUnit.SECONDS).getValue()).isEqualTo("echo: async");
  }

  @Test
  void applicationErrorsReachTheCallerWithTheirCodeAndDescription() {
    assertThatThrownBy(() -> say("fail:9:out of stock"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).isEqualTo("out of stock");
            });
  }

  @Test
  void aHandlerThatThrowsYieldsUnknownWithTheException() {
    assertThatThrownBy(() -> say("throw:boom"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
              assertThat(e.getStatus().getDescription())
                  .contains("IllegalStateException")
                  .contains("boom");
            });
  }

  @Test
  void aServiceNobodyProvidesIsNotFound() {
    MethodDescriptor<StringValue, StringValue> nobody =
        EchoService.SAY.toBuilder().setFullMethodName("corebus.test.Nobody/Call").build();
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel, nobody, CallOptions.DEFAULT, StringValue.of("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription()).contains("corebus.test.Nobody");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aCallerTheServiceDoesNotAllowIsDenied() {
    BusChannel intruder =
        new BusChannel(
            channel.routes,
            channel.direct,
            slot,
            producer,
            new RuntimeIdentity("it", "intruder", "intruder-0", "1"),
            Duration.ofSeconds(10),
            3,
            scheduler,
            workers,
            new BusMetrics(callerMeters));
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    intruder, EchoService.SAY, CallOptions.DEFAULT, StringValue.of("let me in")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription())
                  .contains("intruder may not call corebus.test.Echo");
            });
  }

  @Test
  void aMethodTheProviderLacksIsUnimplemented() {
    MethodDescriptor<StringValue, StringValue> shout =
        EchoService.SAY.toBuilder().setFullMethodName(EchoService.SERVICE + "/Shout").build();
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel, shout, CallOptions.DEFAULT, StringValue.of("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription()).contains("echo").contains("Shout");
            });
  }

  @Test
  void aSlowCalleeMakesTheCallerFailAtItsDeadline() {
    long start = System.nanoTime();
    assertThatThrownBy(() -> say("sleep:3000", Duration.ofMillis(400)))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void unavailableIsRetriedABoundedNumberOfTimes() {
    double before = retries();
    assertThatThrownBy(() -> say("fail:14:try later"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(retries() - before).isEqualTo(2.0); // 3 attempts in all
  }

  private static double retries() {
    var c = callerMeters.find("corebus.rpc.client.retries").counter();
    return c == null ? 0 : c.count();
  }

  private static ProducerRecord<byte[], byte[]> rawRequest(
      String correlationId, String idempotencyKey, long deadlineMillis, String text) {
    var record =
        new ProducerRecord<byte[], byte[]>(
            topics.requests(EchoService.SERVICE),
            null,
            idempotencyKey.getBytes(StandardCharsets.UTF_8),
            StringValue.of(text).toByteArray());
    Headers h = record.headers();
    Records.put(h, BusHeaders.CORRELATION_ID, correlationId);
    Records.put(h, BusHeaders.IDEMPOTENCY_KEY, idempotencyKey);
    Records.put(h, BusHeaders.METHOD, EchoService.SAY.getFullMethodName());
    Records.put(h, BusHeaders.DEADLINE, Long.toString(deadlineMillis));
    Records.put(h, BusHeaders.CALLER, "raw");
    Records.put(h, BusHeaders.REPLY_TO, slot.topic());
    Records.put(h, BusHeaders.REPLY_PARTITION, "0");
    return record;
  }

  private static String parse(Reply reply) throws Exception {
    assertThat(reply.isOk()).as("reply status %s", reply.status()).isTrue();
    return StringValue.parseFrom(reply.body()).getValue();
  }

  @Test
  void theCalleeDropsRequestsWhoseDeadlinePassedWithoutRunningThem() throws Exception {
    int before = Integer.parseInt(say("count"));
    String correlationId = UUID.randomUUID().toString();
    CompletableFuture<Reply> noReply = slot.expect(correlationId);
    producer
        .send(
            rawRequest(
                correlationId,
                UUID.randomUUID().toString(),
                System.currentTimeMillis() - 1,
                "count"))
        .get();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              var c = calleeMeters.find("corebus.rpc.server.expired").counter();
              return c != null && c.count() >= 1;
            });
    assertThat(Integer.parseInt(say("count")))
        .as("the expired request did not run")
        .isEqualTo(before + 1);
    assertThat(noReply).isNotDone();
    slot.forget(correlationId);
  }

  @Test
  void aRequestRepeatedWithTheSameIdempotencyKeyRunsOnceAndGetsTheSameReply() throws Exception {
    String key = UUID.randomUUID().toString();
    long deadline = System.currentTimeMillis() + 10_000;
    List<CompletableFuture<Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String correlationId = UUID.randomUUID().toString();
      replies.add(slot.expect(correlationId));
      producer.send(rawRequest(correlationId, key, deadline, "count")).get();
    }
    List<String> values = new ArrayList<>();
    for (CompletableFuture<Reply> r : replies) {
      values.add(parse(r.get(10, TimeUnit.SECONDS)));
    }
    assertThat(values).containsOnly(values.get(0));
    assertThat(Integer.parseInt(say("count"))).isEqualTo(Integer.parseInt(values.get(0)) + 1);
  }

  @Test
  void requestsCarryCallerIdentityDeadlineAndTraceContext() throws Exception {
    say("inspect me");
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "inspector-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.ByteArrayDeserializer",
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    List<ConsumerRecord<byte[], byte[]>> found = new CopyOnWriteArrayList<>();
    try (var consumer = new KafkaConsumer<byte[], byte[]>(props)) {
      consumer.subscribe(List.of(topics.requests(EchoService.SERVICE)));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                  if (StringValue.parseFrom(r.value()).getValue().equals("inspect me")) {
                    found.add(r);
                  }
                }
                return !found.isEmpty();
              });
    }
    Headers h = found.get(0).headers();
    assertThat(Records.header(h, BusHeaders.CALLER)).isEqualTo("caller");
    assertThat(Records.header(h, BusHeaders.CALLER_INSTANCE)).isEqualTo("caller-0");
    assertThat(Records.header(h, BusHeaders.METHOD)).isEqualTo("corebus.test.Echo/Say");
    assertThat(Records.header(h, BusHeaders.REPLY_TO))
        .isEqualTo("corebus.it.reply.caller.caller-0");
    assertThat(Records.header(h, BusHeaders.TRACEPARENT))
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    assertThat(Records.longHeader(h, BusHeaders.DEADLINE, 0))
        .isGreaterThan(found.get(0).timestamp());
  }

  @Test
  void eventsReachTheSubscriberAndFailingOnesEndInTheDeadLetterTopic() throws Exception {
    kafka.broker().createTopic(topics.events("it.Good"), 1);
    kafka.broker().createTopic(topics.events("it.Bad"), 1);
    kafka.broker().createTopic(topics.deadLetters("listener"), 1);
    RuntimeIdentity listener = new RuntimeIdentity("it", "listener", "listener-0", "1");
    EventBus subscriber =
        new EventBus(
            topics,
            producer,
            listener,
            Duration.ofSeconds(10),
            3,
            workers,
            scheduler,
            getClass().getClassLoader(),
            new BusMetrics(calleeMeters));
    List<Event> received = new CopyOnWriteArrayList<>();
    subscriber.subscribe("it.Good", received::add);
    subscriber.subscribe(
        "it.Bad",
        e -> {
          throw new IllegalArgumentException("cannot handle " + new String(e.payload()));
        });
    EventBus publisher =
        new EventBus(
            topics,
            producer,
            caller,
            Duration.ofSeconds(10),
            3,
            workers,
            scheduler,
            getClass().getClassLoader(),
            new BusMetrics(calleeMeters));

    try (var consumer =
        new CommittingConsumer(
            "it-events",
            KafkaSettings.groupConsumer(
                kafka.bootstrapServers(), topics.eventGroup("listener"), "it-ev", 16),
            subscriber.subscribedTopics(),
            subscriber::handle,
            16,
            Duration.ofSeconds(5))) {
      consumer.start();
      publisher.publish("it.Good", "order-1".getBytes());
      publisher.publish("it.Bad", "order-2".getBytes());

      await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 1);
      Event event = received.get(0);
      assertThat(event.type()).isEqualTo("it.Good");
      assertThat(event.source()).isEqualTo("caller");
      assertThat(new String(event.payload())).isEqualTo("order-1");

      List<ConsumerRecord<byte[], byte[]>> letters = readAll(topics.deadLetters("listener"), 1);
      Headers h = letters.get(0).headers();
      assertThat(new String(letters.get(0).value())).isEqualTo("order-2");
      assertThat(Records.header(h, BusHeaders.DEAD_LETTER_REASON))
          .contains("IllegalArgumentException")
          .contains("cannot handle order-2");
      assertThat(Records.header(h, BusHeaders.DEAD_LETTER_ATTEMPTS)).isEqualTo("3");
      assertThat(Records.header(h, BusHeaders.DEAD_LETTER_TOPIC))
          .isEqualTo(topics.events("it.Bad"));
      assertThat(Records.header(h, BusHeaders.EVENT_SOURCE)).isEqualTo("caller");
    }
    var handled = calleeMeters.find("corebus.events.dead.letters").counter();
    assertThat(handled).isNotNull();
    assertThat(handled.count()).isEqualTo(1.0);
    assertThatThrownBy(() -> publisher.publish("it.NoSuchTopic", new byte[0]))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.ByteArrayDeserializer",
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    List<ConsumerRecord<byte[], byte[]>> all = new CopyOnWriteArrayList<>();
    try (var consumer = new KafkaConsumer<byte[], byte[]>(props)) {
      consumer.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
                return all.size() >= atLeast;
              });
    }
    return all;
  }
}
