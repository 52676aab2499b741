package io.corebus.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusHeaders;
import io.corebus.bus.protocol.BusPermissions;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.CallSignature;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.RouteTableWriter;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.KafkaBroker;
import io.corebus.localcluster.KafkaBrokerExtension;
import io.corebus.runtime.security.CallAudit;
import io.corebus.runtime.security.CallSigner;
import io.corebus.runtime.security.CallerKeys;
import io.corebus.runtime.security.CallerVerifier;
import io.corebus.runtime.security.KafkaClientSecurity;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bus on a secured broker (SASL/SCRAM, the standard authorizer, the ACLs of {@link
 * BusPermissions}, signed calls), with the real runtime classes on each side. Echo admits callers
 * {@code caller} and {@code mallory}; {@code intruder} is not admitted. The test stands in for the
 * operator: it creates the users, ACLs, topics, route and keys as the super user.
 */
class SecuredBusIT {
  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().secured());

  @TempDir static Path credentials;

  static final BusTopics topics = BusTopics.forNamespace("sec");
  static final String ECHO_TOPIC = topics.requests(EchoService.SERVICE);
  static final List<BusPermissions.Member> plugins =
      List.of(
          new BusPermissions.Member(
              "echo",
              Map.of(EchoService.SERVICE, List.of("caller", "mallory")),
              Set.of(),
              Set.of()),
          new BusPermissions.Member("caller", Map.of(), Set.of(), Set.of()),
          new BusPermissions.Member("mallory", Map.of(), Set.of(), Set.of()),
          new BusPermissions.Member("intruder", Map.of(), Set.of(), Set.of()));
  static final Map<String, KeyPair> keys = new HashMap<>();
  static final List<String> audit = new CopyOnWriteArrayList<>();
  static final List<AutoCloseable> closing = new ArrayList<>();

  static ExecutorService workers;
  static ScheduledExecutorService scheduler;
  static Side caller;
  static Side intruder;
  static Side mallory;
  static ServiceRegistry echoServices;
  static CallerKeys echoKeys;

  /** One plug-in's runtime pieces, logged in as its own principal. */
  record Side(
      String plugin,
      KafkaClientSecurity security,
      KafkaProducer<byte[], byte[]> producer,
      ReplySlot slot,
      BusChannel channel) {
    String say(String text) {
      return ClientCalls.blockingUnaryCall(
              channel,
              EchoService.SAY,
              CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              StringValue.of(text))
          .getValue();
    }
  }

  @BeforeAll
  static void operatorSetsUpTheNamespace() throws Exception {
    KafkaBroker broker = kafka.broker();
    try (Admin admin = Admin.create(broker.clientProperties())) {
      List<org.apache.kafka.clients.admin.UserScramCredentialAlteration> users = new ArrayList<>();
      List<BusPermissions.Grant> grants = new ArrayList<>();
      for (BusPermissions.Member m : plugins) {
        users.add(
            new UserScramCredentialUpsertion(
                BusPermissions.userName(topics, m.plugin()),
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                password(m.plugin())));
        grants.addAll(BusPermissions.of(topics, m, plugins));
        keys.put(m.plugin(), CallSignature.generateKeyPair());
      }
      admin.alterUserScramCredentials(users).all().get(30, TimeUnit.SECONDS);
      admin.createAcls(AclBindings.of(grants)).all().get(30, TimeUnit.SECONDS);
      admin
          .createTopics(
              List.of(
                  new NewTopic(ECHO_TOPIC, 1, (short) 1),
                  new NewTopic(topics.routes(), RouteTableWriter.PARTITIONS, (short) 1)
                      .configs(RouteTableWriter.topicConfigs()),
                  new NewTopic(topics.keys(), 1, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }
    try (KafkaProducer<byte[], byte[]> operator =
        new KafkaProducer<>(
            superUser(KafkaSettings.producer(broker.bootstrapServers(), "op", 0)))) {
      // The route as a runtime that ignores allowedCallers would see it: no client-side check.
      RouteRecord route =
          new RouteTableWriter(topics)
              .put(RoutePublisher.busRoute(EchoService.SERVICE, "echo", ECHO_TOPIC));
      operator.send(new ProducerRecord<>(route.topic(), route.key(), route.value())).get();
      for (var e : keys.entrySet()) {
        operator
            .send(
                new ProducerRecord<>(
                    topics.keys(),
                    e.getKey().getBytes(StandardCharsets.UTF_8),
                    CallSignature.encode(e.getValue().getPublic())
                        .getBytes(StandardCharsets.UTF_8)))
            .get();
      }
    }
    workers = Executors.newFixedThreadPool(8);
    scheduler = Executors.newScheduledThreadPool(2);
    startEcho();
    caller = side("caller");
    intruder = side("intruder");
    mallory = side("mallory");
  }

  static void startEcho() throws Exception {
    KafkaClientSecurity security = security("echo");
    String bootstrap = kafka.bootstrapServers();
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(security.apply(KafkaSettings.producer(bootstrap, "echo", 0)));
    closing.add(producer);
    CallerKeys callerKeys =
        echoKeys =
            new CallerKeys(
                topics.keys(),
                security.apply(KafkaSettings.routeConsumer(bootstrap, "echo-keys")),
                scheduler);
    callerKeys.start();
    closing.add(callerKeys);
    ServiceRegistry registry = echoServices = new ServiceRegistry();
    registry.register(new EchoService());
    RpcServer server =
        new RpcServer(
            registry,
            producer,
            new RuntimeIdentity("sec", "echo", "echo-0", "1"),
            workers,
            scheduler,
            new CompletedCalls(Duration.ofMinutes(5)),
            Clock.systemUTC(),
            new BusMetrics(new SimpleMeterRegistry()),
            AllowedCallers.of(Map.of(EchoService.SERVICE, List.of("caller", "mallory"))),
            new CallerVerifier(callerKeys, Duration.ofSeconds(2)),
            CallAudit.to(audit::add));
    CommittingConsumer requests =
        new CommittingConsumer(
            "echo-requests",
            security.apply(
                KafkaSettings.groupConsumer(
                    bootstrap, topics.requestGroup("echo"), "echo-rpc", 16)),
            List.of(ECHO_TOPIC),
            server::handle,
            16,
            Duration.ofSeconds(5));
    requests.start();
    closing.add(requests);
    await().atMost(Duration.ofSeconds(60)).until(() -> requests.joined() && callerKeys.caughtUp());
  }

  static Side side(String plugin) throws Exception {
    KafkaClientSecurity security = security(plugin);
    String bootstrap = kafka.bootstrapServers();
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(security.apply(KafkaSettings.producer(bootstrap, plugin, 0)));
    closing.add(producer);
    // The runtime creates its own reply slot: allowed by the CREATE grant on its prefix.
    try (Admin admin = Admin.create(security.apply(KafkaSettings.admin(bootstrap, plugin)))) {
      ReplySlot.ensureTopic(admin, topics.replies(plugin, plugin + "-0"), Duration.ofSeconds(30));
    }
    ReplySlot slot =
        new ReplySlot(
            topics.replies(plugin, plugin + "-0"),
            security.apply(KafkaSettings.replyConsumer(bootstrap, plugin + "-reply")));
    slot.start();
    closing.add(slot);
    RouteTable routes =
        new RouteTable(
            topics.routes(),
            security.apply(KafkaSettings.routeConsumer(bootstrap, plugin + "-routes")),
            new BusMetrics(new SimpleMeterRegistry()));
    routes.start();
    closing.add(routes);
    await().atMost(Duration.ofSeconds(30)).until(() -> slot.ready() && routes.caughtUp());
    BusChannel channel =
        new BusChannel(
            routes,
            new DirectChannels(),
            slot,
            producer,
            new RuntimeIdentity("sec", plugin, plugin + "-0", "1"),
            Duration.ofSeconds(10),
            3,
            scheduler,
            workers,
            new BusMetrics(new SimpleMeterRegistry()),
            CallSigner.with(keys.get(plugin).getPrivate()));
    return new Side(plugin, security, producer, slot, channel);
  }

  /** The plug-in's credentials as the operator's Secret would hold them, as files. */
  static KafkaClientSecurity security(String plugin) throws Exception {
    Path dir = Files.createDirectories(credentials.resolve(plugin));
    Files.writeString(
        dir.resolve(RuntimeContract.KAFKA_USERNAME_FILE), BusPermissions.userName(topics, plugin));
    Files.writeString(dir.resolve(RuntimeContract.KAFKA_PASSWORD_FILE), password(plugin) + "\n");
    return KafkaClientSecurity.scram(dir);
  }

  static String password(String plugin) {
    return "pw-" + plugin + "-0123456789";
  }

  static Map<String, Object> superUser(Map<String, Object> props) {
    Map<String, Object> p = new HashMap<>(props);
    p.putAll(kafka.broker().clientProperties());
    return p;
  }

  @AfterAll
  static void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    workers.shutdownNow();
    scheduler.shutdownNow();
  }

  @Test
  void anAllowedSignedCallIsAnsweredEndToEnd() {
    assertThat(caller.say("hello")).isEqualTo("echo: hello");
  }

  @Test
  void aPluginTheCalleeDoesNotAdmitCannotSendAndGetsPermissionDenied() {
    assertThatThrownBy(() -> intruder.say("let me in"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription())
                  .contains("does not let plug-in intruder call " + EchoService.SERVICE)
                  .contains("Kafka refused writing to " + ECHO_TOPIC);
            });
  }

  @Test
  void aPluginCannotReadAnotherPluginsRequests() {
    Map<String, Object> props =
        intruder
            .security()
            .apply(
                KafkaSettings.groupConsumer(
                    kafka.bootstrapServers(), topics.requestGroup("intruder"), "peek", 16));
    try (KafkaConsumer<byte[], byte[]> peek = new KafkaConsumer<>(props)) {
      peek.assign(List.of(new TopicPartition(ECHO_TOPIC, 0)));
      peek.seekToBeginning(List.of(new TopicPartition(ECHO_TOPIC, 0)));
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 50; i++) {
                  peek.poll(Duration.ofMillis(200));
                }
              })
          .isInstanceOf(AuthorizationException.class)
          .hasMessageContaining(ECHO_TOPIC);
    }
    // Nor with echo's own group (and so echo's committed offsets).
    Map<String, Object> asEcho =
        intruder
            .security()
            .apply(
                KafkaSettings.groupConsumer(
                    kafka.bootstrapServers(), topics.requestGroup("echo"), "peek2", 16));
    try (KafkaConsumer<byte[], byte[]> peek = new KafkaConsumer<>(asEcho)) {
      peek.subscribe(List.of(ECHO_TOPIC));
      assertThatThrownBy(
              () -> {
                for (int i = 0; i < 50; i++) {
                  peek.poll(Duration.ofMillis(200));
                }
              })
          .isInstanceOf(AuthorizationException.class);
    }
  }

  @Test
  void aForgedCallerIsDeniedAndAudited() throws Exception {
    // mallory may call echo, but claims to be caller: once unsigned, once signed with her own key.
    Reply unsigned = forge(null);
    assertThat(unsigned.code()).isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(unsigned.message()).contains("caller not proven: the call is not signed");

    Reply wrongKey = forge(keys.get("mallory"));
    assertThat(wrongKey.code()).isEqualTo(Status.Code.PERMISSION_DENIED.value());
    assertThat(wrongKey.message()).contains("the signature does not match plug-in caller's key");

    assertThat(audit)
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("callee=echo caller=caller caller-instance=mallory-0")
                    .contains("method=" + EchoService.SAY.getFullMethodName())
                    .contains("the call is not signed"))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("caller=caller caller-instance=mallory-0")
                    .contains("the signature does not match"));
    // The real caller still gets through.
    assertThat(caller.say("still me")).isEqualTo("echo: still me");
  }

  @Test
  void theDirectPathCarriesTheSignatureAndRefusesAForgedCaller() throws Exception {
    DirectServer direct =
        new DirectServer(
                "127.0.0.1",
                0,
                echoServices.definitions(Set.of(EchoService.SERVICE)),
                AllowedCallers.of(Map.of(EchoService.SERVICE, List.of("caller", "mallory"))),
                workers,
                new BusMetrics(new SimpleMeterRegistry()),
                echoKeys,
                CallAudit.to(audit::add),
                "echo")
            .start();
    io.grpc.ManagedChannel grpc =
        io.grpc.Grpc.newChannelBuilderForAddress(
                "127.0.0.1", direct.port(), io.grpc.InsecureChannelCredentials.create())
            .build();
    try {
      long deadline = System.currentTimeMillis() + 10_000;
      io.grpc.Metadata signed = new io.grpc.Metadata();
      signed.put(DirectServer.CALLER, "caller");
      caller.channel().signDirect(signed, EchoService.SAY.getFullMethodName(), null, deadline);
      assertThat(directSay(grpc, signed)).isEqualTo("echo: direct");

      // mallory names caller but can only sign as herself; or does not sign at all.
      io.grpc.Metadata forged = new io.grpc.Metadata();
      forged.put(DirectServer.CALLER, "caller");
      forged.put(DirectServer.CALLER_INSTANCE, "mallory-0");
      mallory.channel().signDirect(forged, EchoService.SAY.getFullMethodName(), null, deadline);
      assertThatThrownBy(() -> directSay(grpc, forged))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(e.getStatus().getDescription())
                    .contains("the signature does not match plug-in caller's key");
              });
      io.grpc.Metadata unsigned = new io.grpc.Metadata();
      unsigned.put(DirectServer.CALLER, "caller");
      unsigned.put(DirectServer.CALLER_INSTANCE, "mallory-0");
      assertThatThrownBy(() -> directSay(grpc, unsigned))
          .hasMessageContaining("PERMISSION_DENIED")
          .hasMessageContaining("the call is not signed");
      assertThat(audit)
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("caller=caller caller-instance=mallory-0")
                      .contains("transport=direct")
                      .contains("the signature does not match"));
    } finally {
      grpc.shutdownNow();
      direct.close();
    }
  }

  private static String directSay(io.grpc.Channel grpc, io.grpc.Metadata headers) {
    return ClientCalls.blockingUnaryCall(
            io.grpc.ClientInterceptors.intercept(
                grpc, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)),
            EchoService.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            StringValue.of("direct"))
        .getValue();
  }

  /** A request from mallory's producer that names {@code caller} as its caller. */
  private static Reply forge(KeyPair signWith) throws Exception {
    String correlationId = UUID.randomUUID().toString();
    byte[] body = StringValue.of("pay me").toByteArray();
    long deadline = System.currentTimeMillis() + 10_000;
    var reply = mallory.slot().expect(correlationId);
    ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(ECHO_TOPIC, null, null, body);
    Headers h = r.headers();
    Records.put(h, BusHeaders.PROTOCOL, BusHeaders.PROTOCOL_VERSION);
    Records.put(h, BusHeaders.CORRELATION_ID, correlationId);
    Records.put(h, BusHeaders.IDEMPOTENCY_KEY, correlationId);
    Records.put(h, BusHeaders.METHOD, EchoService.SAY.getFullMethodName());
    Records.put(h, BusHeaders.DEADLINE, Long.toString(deadline));
    Records.put(h, BusHeaders.CALLER, "caller");
    Records.put(h, BusHeaders.CALLER_INSTANCE, "mallory-0");
    Records.put(h, BusHeaders.REPLY_TO, mallory.slot().topic());
    Records.put(h, BusHeaders.REPLY_PARTITION, "0");
    if (signWith != null) {
      Records.put(
          h,
          BusHeaders.SIGNATURE,
          CallSignature.sign(
              signWith.getPrivate(),
              new CallSignature.Claims(
                  "caller",
                  EchoService.SAY.getFullMethodName(),
                  correlationId,
                  correlationId,
                  deadline,
                  mallory.slot().topic(),
                  body)));
    }
    mallory.producer().send(r).get(10, TimeUnit.SECONDS);
    return reply.get(15, TimeUnit.SECONDS);
  }
}
