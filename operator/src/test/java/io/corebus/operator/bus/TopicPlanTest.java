package io.corebus.operator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.operator.testing.TestPlugins;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopicPlanTest {
  static final BusTopics SHOP = BusTopics.forNamespace("shop");
  static final TopicLayout LAYOUT = TopicSettings.defaults().layout(3);

  static Plugin plugin(String name, int min, Integer max) {
    return TestPlugins.withReplicas(TestPlugins.jarPlugin("shop", name), min, max, null);
  }

  static Map<String, DesiredTopic> byName(List<DesiredTopic> topics) {
    return topics.stream().collect(Collectors.toMap(DesiredTopic::name, Function.identity()));
  }

  @Test
  void aProviderGetsItsRequestTopicDeadLettersAndTheNamespaceTopics() {
    Plugin payment = plugin("payment", 1, 5);
    payment.getSpec().setPublishes(List.of("shop.payment.Paid"));

    Map<String, DesiredTopic> topics = byName(TopicPlan.desired(payment, List.of(payment), LAYOUT));

    assertThat(topics)
        .containsOnlyKeys(
            SHOP.requests("shop.payment.Api"),
            SHOP.deadLetters("payment"),
            SHOP.events("shop.payment.Paid"),
            SHOP.telemetry(),
            SHOP.routes());
    DesiredTopic requests = topics.get("corebus.shop.rpc.shop.payment.Api");
    assertThat(requests.kind()).isEqualTo(DesiredTopic.Kind.REQUESTS);
    assertThat(requests.partitions()).as("one partition per replica up to max").isEqualTo(5);
    assertThat(requests.replicationFactor()).isEqualTo((short) 3);
    assertThat(requests.configs())
        .containsEntry("cleanup.policy", "delete")
        .containsEntry("min.insync.replicas", "2");
    assertThat(topics.get("corebus.shop.dlq.payment").partitions()).isEqualTo(1);
    assertThat(topics.get("corebus.shop.telemetry").configs())
        .containsEntry("retention.ms", "3600000")
        .containsEntry("cleanup.policy", "delete");
    DesiredTopic routes = topics.get("corebus.shop.routes");
    assertThat(routes.partitions()).isEqualTo(1);
    assertThat(routes.configs())
        .containsEntry("cleanup.policy", "compact")
        .containsEntry("delete.retention.ms", "86400000")
        .as("bus-protocol's definition, plus the operator's min.insync.replicas")
        .containsAllEntriesOf(io.corebus.bus.protocol.RouteTableWriter.topicConfigs())
        .containsEntry("min.insync.replicas", "2");
  }

  @Test
  void aCanaryPluginGetsASecondRequestLanePerServiceSizedLikeTheFirst() {
    Plugin payment = plugin("payment", 1, 5);
    io.corebus.crds.Rollout rollout = new io.corebus.crds.Rollout();
    rollout.setStrategy(io.corebus.crds.RolloutStrategy.Canary);
    payment.getSpec().setRollout(rollout);

    Map<String, DesiredTopic> topics = byName(TopicPlan.desired(payment, List.of(payment), LAYOUT));

    DesiredTopic lane = topics.get(SHOP.alternateRequests("shop.payment.Api"));
    assertThat(lane).isNotNull();
    assertThat(lane.kind()).isEqualTo(DesiredTopic.Kind.REQUESTS);
    assertThat(lane.partitions())
        .isEqualTo(topics.get(SHOP.requests("shop.payment.Api")).partitions());
  }

  @Test
  void requestTopicsHaveAtLeastTheConfiguredMinimumOfPartitions() {
    Plugin single = plugin("single", 1, null);
    assertThat(byName(TopicPlan.desired(single, List.of(), LAYOUT)))
        .extractingByKey(SHOP.requests("shop.single.Api"))
        .extracting(DesiredTopic::partitions)
        .isEqualTo(3);

    TopicLayout five =
        new TopicSettings(
                Optional.empty(),
                Optional.empty(),
                5,
                3,
                Duration.ofHours(1),
                Duration.ofMinutes(5),
                Duration.ofMinutes(2))
            .layout(1);
    assertThat(byName(TopicPlan.desired(single, List.of(), five)))
        .extractingByKey(SHOP.requests("shop.single.Api"))
        .extracting(DesiredTopic::partitions)
        .isEqualTo(5);
  }

  @Test
  void anEventTopicHasAPartitionForEveryReplicaOfItsBusiestSubscriber() {
    Plugin orders = plugin("orders", 1, 2);
    orders.getSpec().setPublishes(List.of("shop.order.Placed"));
    Plugin billing = plugin("billing", 2, 8);
    billing.getSpec().setSubscribes(List.of("shop.order.Placed"));
    Plugin mail = plugin("mail", 1, 4);
    mail.getSpec().setSubscribes(List.of("shop.order.Placed"));

    // The publisher's plan sizes the topic for its subscribers, so every plan agrees.
    for (Plugin p : List.of(orders, billing, mail)) {
      assertThat(byName(TopicPlan.desired(p, List.of(orders, billing, mail), LAYOUT)))
          .extractingByKey(SHOP.events("shop.order.Placed"))
          .extracting(DesiredTopic::partitions)
          .isEqualTo(8);
    }
  }

  @Test
  void replicationFollowsTheClusterSizeUnlessConfigured() {
    TopicSettings derived = TopicSettings.defaults();
    assertThat(derived.layout(1))
        .extracting(TopicLayout::replicationFactor, TopicLayout::minInsyncReplicas)
        .containsExactly((short) 1, 1);
    assertThat(derived.layout(2))
        .extracting(TopicLayout::replicationFactor, TopicLayout::minInsyncReplicas)
        .containsExactly((short) 2, 1);
    assertThat(derived.layout(6))
        .extracting(TopicLayout::replicationFactor, TopicLayout::minInsyncReplicas)
        .containsExactly((short) 3, 2);

    TopicSettings prodIsr =
        new TopicSettings(
            Optional.empty(),
            Optional.of(2),
            3,
            3,
            Duration.ofHours(1),
            Duration.ofMinutes(5),
            Duration.ofMinutes(2));
    assertThat(prodIsr.layout(1).minInsyncReplicas())
        .as("a one-broker dev cluster still works with production settings")
        .isEqualTo(1);

    assertThatThrownBy(
            () ->
                new TopicSettings(
                    Optional.of(1),
                    Optional.of(2),
                    3,
                    3,
                    Duration.ofHours(1),
                    Duration.ofMinutes(5),
                    Duration.ofMinutes(2)))
        .hasMessageContaining("min-insync-replicas (2)")
        .hasMessageContaining("replication-factor (1)");
  }

  @Test
  void aDeletedPluginLeavesBehindOnlyWhatNobodyElseUses() {
    Plugin orders = plugin("orders", 1, null);
    orders
        .getSpec()
        .setPublishes(new ArrayList<>(List.of("shop.order.Placed", "shop.order.Audit")));
    Plugin billing = plugin("billing", 1, null);
    billing.getSpec().setSubscribes(List.of("shop.order.Placed"));

    TopicPlan.Leftovers left = TopicPlan.leftovers(orders, List.of(orders, billing));

    // The second lane is listed too: it is deleted only if it exists (a past canary made it).
    assertThat(left.requestTopics())
        .containsExactly(
            SHOP.requests("shop.orders.Api"), SHOP.alternateRequests("shop.orders.Api"));
    assertThat(left.otherTopics())
        .containsExactlyInAnyOrder(SHOP.deadLetters("orders"), SHOP.events("shop.order.Audit"))
        .doesNotContain(SHOP.events("shop.order.Placed"), SHOP.telemetry(), SHOP.routes());
  }

  @Test
  void aServiceAnotherPluginProvidesKeepsItsRequestTopic() {
    Plugin old = plugin("old", 1, null);
    Plugin successor = plugin("successor", 1, null);
    successor.getSpec().setProvides(List.of(new ProvidedService("shop.old.Api")));

    assertThat(TopicPlan.leftovers(old, List.of(successor)).requestTopics()).isEmpty();
  }

  @Test
  void theLastPluginOfANamespaceTakesTheNamespaceTopicsWithIt() {
    Plugin last = plugin("last", 1, null);
    assertThat(TopicPlan.leftovers(last, List.of()).otherTopics())
        .contains(SHOP.telemetry(), SHOP.routes());
  }

  @Test
  void replySlotsAreMatchedToTheirPluginOnly() {
    Plugin pay = plugin("pay", 1, null);
    assertThat(TopicPlan.isReplySlotOf(pay, SHOP.replies("pay", "pay-0123456789-0"))).isTrue();
    assertThat(TopicPlan.isReplySlotOf(pay, SHOP.replies("pay", "pay-abcdef0123-12"))).isTrue();
    assertThat(TopicPlan.replySlotPod(pay, SHOP.replies("pay", "pay-abcdef0123-12")))
        .isEqualTo("pay-abcdef0123-12");
    // pay-v2's pods, another namespace's, and other topics are not pay's.
    assertThat(TopicPlan.isReplySlotOf(pay, SHOP.replies("pay-v2", "pay-v2-0123456789-0")))
        .isFalse();
    assertThat(
            TopicPlan.isReplySlotOf(
                pay, BusTopics.forNamespace("other").replies("pay", "pay-0123456789-0")))
        .isFalse();
    assertThat(TopicPlan.isReplySlotOf(pay, SHOP.deadLetters("pay"))).isFalse();
  }
}
