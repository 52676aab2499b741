package io.corebus.operator.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.corebus.crds.CanaryStatus;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.rollout.CanaryPlan.NewPod;
import io.corebus.operator.rollout.CanaryPlan.Result;
import io.corebus.operator.rollout.CanaryPlan.Share;
import io.corebus.operator.testing.TestPods;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CanaryPlanTest {

  static Pod pod(String revision, int ordinal, boolean ready, RequestLane lane) {
    Pod p = TestPods.pod(revision, ordinal, ready);
    String topic = "corebus.shop.rpc.shop.payment.Api" + (lane == RequestLane.B ? "-b" : "");
    p.setSpec(
        new io.fabric8.kubernetes.api.model.PodSpecBuilder()
            .withContainers(
                new ContainerBuilder()
                    .withName(RuntimeContract.CONTAINER_NAME)
                    .addNewEnv()
                    .withName(RuntimeContract.ENV_REQUEST_TOPICS)
                    .withValue("shop.payment.Api=" + topic)
                    .endEnv()
                    .build())
            .withNodeName("node-1")
            .build());
    return p;
  }

  static List<Pod> pods(String revision, int n, boolean ready, RequestLane lane) {
    List<Pod> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pod(revision, i, ready, lane));
    }
    return out;
  }

  static CanaryStatus state(String phase, int weight) {
    CanaryStatus s = new CanaryStatus();
    s.setPhase(phase);
    s.setStableRevision("old");
    s.setCanaryRevision("new");
    s.setWeight(weight);
    return s;
  }

  static List<String> names(List<Pod> pods) {
    return pods.stream().map(p -> p.getMetadata().getName()).toList();
  }

  @Test
  void theFirstStepAddsOneCanaryPodOnTheOtherLaneAndGivesItNoCallsUntilItIsReady() {
    List<Pod> pods = pods("old", 3, true, RequestLane.A);

    Result r = CanaryPlan.plan(state(CanaryStatus.PROGRESSING, 10), "2.0.0", 3, pods, Set.of());

    assertThat(r.create())
        .extracting(NewPod::revision, NewPod::ordinal, NewPod::lane, NewPod::template)
        .containsExactly(tuple("new", 0, RequestLane.B, null));
    assertThat(r.delete()).isEmpty();
    assertThat(r.shares())
        .extracting(Share::revision, Share::role, Share::weight, Share::lane)
        .containsExactly(
            tuple("new", CanaryPlan.CANARY, 0, RequestLane.B),
            tuple("old", CanaryPlan.STABLE, 100, RequestLane.A));
    assertThat(r.waitingFor()).contains("Ready pod of the new revision");
  }

  @Test
  void weightsAreTheStepsExactlyAndPodCountsFollowTheShares() {
    List<Pod> pods = new ArrayList<>(pods("old", 4, true, RequestLane.A));
    pods.add(pod("new", 0, true, RequestLane.B));

    Result r = CanaryPlan.plan(state(CanaryStatus.PROGRESSING, 50), "2.0.0", 4, pods, Set.of());

    assertThat(r.shares())
        .extracting(Share::revision, Share::weight, Share::lane)
        .containsExactly(tuple("new", 50, RequestLane.B), tuple("old", 50, RequestLane.A));
    assertThat(r.create())
        .extracting(NewPod::revision, NewPod::ordinal)
        .containsExactly(tuple("new", 1));
    assertThat(names(r.delete()))
        .as("the stable keeps ceil(4 * 50%) = 2, highest ordinals go first")
        .containsExactly("p-old-3", "p-old-2");

    Result ten = CanaryPlan.plan(state(CanaryStatus.PROGRESSING, 10), "2.0.0", 4, pods, Set.of());
    assertThat(ten.shares()).extracting(Share::weight).containsExactly(10, 90);
    assertThat(ten.create()).as("max(1, ceil(4 * 10%)) = 1 canary pod").isEmpty();
  }

  @Test
  void aRollbackRestoresTheStableByCopyingItsPodsAndKeepsTheCanaryUntilItsLaneDrains() {
    List<Pod> pods = new ArrayList<>(pods("old", 2, true, RequestLane.A));
    pods.addAll(pods("new", 2, true, RequestLane.B));
    CanaryStatus rolledBack = state(CanaryStatus.ROLLED_BACK, 0);

    Result waiting = CanaryPlan.plan(rolledBack, "2.0.0", 4, pods, Set.of());
    assertThat(waiting.shares())
        .extracting(Share::revision, Share::weight)
        .containsExactly(tuple("old", 100));
    assertThat(waiting.create())
        .extracting(NewPod::revision, NewPod::ordinal, NewPod::lane)
        .containsExactly(tuple("old", 2, RequestLane.A), tuple("old", 3, RequestLane.A));
    assertThat(waiting.create()).allSatisfy(n -> assertThat(n.template()).isNotNull());
    assertThat(waiting.delete()).as("lane B still named by a route or not empty").isEmpty();
    assertThat(waiting.undrained()).containsExactly(RequestLane.B);
    assertThat(waiting.roles()).containsEntry("new", CanaryPlan.RETIRING);

    Result drained = CanaryPlan.plan(rolledBack, "2.0.0", 4, pods, Set.of(RequestLane.B));
    assertThat(names(drained.delete())).containsExactlyInAnyOrder("p-new-0", "p-new-1");
    assertThat(drained.undrained()).isEmpty();
  }

  @Test
  void aPromotionGivesTheNewRevisionEverythingOnItsLaneAndRetiresTheOldOnceDrained() {
    List<Pod> pods = new ArrayList<>(pods("old", 1, true, RequestLane.A));
    pods.addAll(pods("new", 3, true, RequestLane.B));
    CanaryStatus promoted = state(CanaryStatus.PROMOTED, 100);

    Result r = CanaryPlan.plan(promoted, "2.0.0", 3, pods, Set.of());
    assertThat(r.shares())
        .extracting(Share::revision, Share::role, Share::weight, Share::lane)
        .containsExactly(tuple("new", CanaryPlan.STABLE, 100, RequestLane.B));
    assertThat(r.delete()).isEmpty();
    assertThat(r.undrained()).containsExactly(RequestLane.A);

    assertThat(names(CanaryPlan.plan(promoted, "2.0.0", 3, pods, Set.of(RequestLane.A)).delete()))
        .containsExactly("p-old-0");
  }

  @Test
  void aRetiringRevisionSharingALaneWithReadyPodsGoesWithoutWaiting() {
    // A canary replaced by a newer one mid-way: both use lane B.
    List<Pod> pods = new ArrayList<>(pods("old", 2, true, RequestLane.A));
    pods.add(pod("first", 0, true, RequestLane.B));
    pods.add(pod("new", 0, true, RequestLane.B));

    Result r = CanaryPlan.plan(state(CanaryStatus.PROGRESSING, 10), "3.0.0", 2, pods, Set.of());

    assertThat(names(r.delete())).containsExactly("p-first-0");
    assertThat(r.roles()).containsEntry("first", CanaryPlan.RETIRING);
  }

  @Test
  void aFailedPodIsReplacedAfterItsDeletionIsSeen() {
    List<Pod> pods = new ArrayList<>(pods("old", 1, true, RequestLane.A));
    pods.add(TestPods.failed("old", 1));
    pods.add(pod("new", 0, true, RequestLane.B));

    Result r = CanaryPlan.plan(state(CanaryStatus.PROGRESSING, 10), "2.0.0", 2, pods, Set.of());

    assertThat(names(r.delete())).containsExactly("p-old-1");
    assertThat(r.create()).as("ordinal 1 is blocked until the failed pod is gone").isEmpty();
  }

  @Test
  void aCopiedPodKeepsSpecAndLaneButNothingTheClusterSet() {
    Pod template = pod("old", 0, true, RequestLane.A);
    template.getMetadata().setResourceVersion("17");

    Pod copy = CanaryPlan.copy(template, "payment", "old", 3);

    assertThat(copy.getMetadata().getName()).isEqualTo("payment-old-3");
    assertThat(PodState.ordinal(copy)).isEqualTo(3);
    assertThat(PodState.revision(copy)).isEqualTo("old");
    assertThat(copy.getMetadata().getResourceVersion()).isNull();
    assertThat(copy.getMetadata().getUid()).isNull();
    assertThat(copy.getStatus()).isNull();
    assertThat(copy.getSpec().getNodeName()).isNull();
    assertThat(RequestLane.of(copy)).isEqualTo(RequestLane.A);
    assertThat(PodState.ordinal(template)).as("the template is untouched").isZero();
  }
}
