package io.corebus.runtime.host;

import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.StringValue;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.runtime.bus.BusChannel;
import io.corebus.runtime.bus.BusMetrics;
import io.corebus.runtime.bus.DirectChannels;
import io.corebus.runtime.bus.KafkaSettings;
import io.corebus.runtime.bus.ReplySlot;
import io.corebus.runtime.bus.RouteTable;
import io.corebus.runtime.bus.RuntimeIdentity;
import io.corebus.testplugin.EchoService;
import io.grpc.CallOptions;
import io.grpc.stub.ClientCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;

/** A caller on the bus for tests: its own reply slot and a BusChannel, like another plug-in's. */
final class BusCaller implements AutoCloseable {
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
  private final ExecutorService callbacks = Executors.newCachedThreadPool();
  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;
  private final ReplySlot slot;
  private final RouteTable routes;
  private final DirectChannels direct = new DirectChannels();
  private final BusChannel channel;

  BusCaller(String bootstrap, BusTopics topics, String instance) throws Exception {
    admin = Admin.create(KafkaSettings.admin(bootstrap, instance));
    producer = new KafkaProducer<>(KafkaSettings.producer(bootstrap, instance, 0));
    String slotTopic = topics.replies("it-caller", instance);
    ReplySlot.ensureTopic(admin, slotTopic, Duration.ofSeconds(30));
    slot = new ReplySlot(slotTopic, KafkaSettings.replyConsumer(bootstrap, instance + "-reply"));
    slot.start();
    routes =
        new RouteTable(
            topics.routes(),
            KafkaSettings.routeConsumer(bootstrap, instance + "-routes"),
            new BusMetrics(new SimpleMeterRegistry()));
    routes.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> slot.ready() && routes.caughtUp());
    channel =
        new BusChannel(
            routes,
            direct,
            slot,
            producer,
            new RuntimeIdentity(topics.namespace(), "it-caller", instance, "1"),
            Duration.ofSeconds(20),
            3,
            scheduler,
            callbacks,
            new BusMetrics(new SimpleMeterRegistry()));
  }

  String say(String text) {
    return ClientCalls.blockingUnaryCall(
            channel, EchoService.SAY, CallOptions.DEFAULT, StringValue.of(text))
        .getValue();
  }

  ListenableFuture<StringValue> sayLater(String text, Duration deadline) {
    return ClientCalls.futureUnaryCall(
        channel.newCall(
            EchoService.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(
                deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)),
        StringValue.of(text));
  }

  ListenableFuture<StringValue> sayLater(String text) {
    return ClientCalls.futureUnaryCall(
        channel.newCall(EchoService.SAY, CallOptions.DEFAULT), StringValue.of(text));
  }

  @Override
  public void close() {
    slot.close();
    routes.close();
    direct.close();
    producer.close();
    admin.close();
    scheduler.shutdownNow();
    callbacks.shutdownNow();
  }
}
