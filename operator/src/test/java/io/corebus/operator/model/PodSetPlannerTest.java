package io.corebus.operator.model;

import static io.corebus.operator.testing.TestPods.failed;
import static io.corebus.operator.testing.TestPods.pod;
import static io.corebus.operator.testing.TestPods.terminating;
import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.operator.model.PodSetPlan.Phase;
import io.corebus.operator.model.PodSetPlan.Removal;
import io.corebus.operator.model.PodSetPlan.Why;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodSetPlannerTest {

  private static List<String> deleted(PodSetPlan plan) {
    return plan.delete().stream().map(r -> r.pod().getMetadata().getName()).toList();
  }

  @Test
  void createsEveryMissingOrdinalAtOnce() {
    PodSetPlan plan = PodSetPlanner.plan(List.of(), 3, "new");
    assertThat(plan.create()).containsExactly(0, 1, 2);
    assertThat(plan.delete()).isEmpty();
    assertThat(plan.phase()).isEqualTo(Phase.SCALING);
  }

  @Test
  void isStableWhenAllOrdinalsAreReadyAtTheRevision() {
    PodSetPlan plan =
        PodSetPlanner.plan(List.of(pod("new", 0, true), pod("new", 1, true)), 2, "new");
    assertThat(plan.changesSomething()).isFalse();
    assertThat(plan.phase()).isEqualTo(Phase.STABLE);
  }

  @Test
  void removesSurplusHighestOrdinalFirst() {
    List<Pod> pods =
        List.of(pod("new", 0, true), pod("new", 3, true), pod("new", 1, true), pod("new", 2, true));
    PodSetPlan plan = PodSetPlanner.plan(pods, 2, "new");
    assertThat(deleted(plan)).containsExactly("p-new-3", "p-new-2");
    assertThat(plan.delete()).extracting(Removal::why).containsOnly(Why.SURPLUS);
    assertThat(plan.create()).isEmpty();
  }

  @Test
  void deletesAFailedPodAndRecreatesItsOrdinalOnlyAfterItIsGone() {
    PodSetPlan first = PodSetPlanner.plan(List.of(pod("new", 0, true), failed("new", 1)), 2, "new");
    assertThat(deleted(first)).containsExactly("p-new-1");
    assertThat(first.delete().get(0).why()).isEqualTo(Why.FINISHED);
    assertThat(first.create()).isEmpty();

    PodSetPlan whileTerminating =
        PodSetPlanner.plan(List.of(pod("new", 0, true), terminating("new", 1)), 2, "new");
    assertThat(whileTerminating.changesSomething()).isFalse();
    assertThat(whileTerminating.phase()).isEqualTo(Phase.SCALING);

    PodSetPlan gone = PodSetPlanner.plan(List.of(pod("new", 0, true)), 2, "new");
    assertThat(gone.create()).containsExactly(1);
  }

  @Test
  void rollingCreatesOneNewPodNextToTheOldOnes() {
    List<Pod> old = List.of(pod("old", 0, true), pod("old", 1, true), pod("old", 2, true));
    PodSetPlan plan = PodSetPlanner.plan(old, 3, "new");
    assertThat(plan.create()).containsExactly(0);
    assertThat(plan.delete()).isEmpty();
    assertThat(plan.phase()).isEqualTo(Phase.ROLLING);
  }

  @Test
  void rollingWaitsWhileTheNewPodIsNotReady() {
    List<Pod> pods =
        List.of(
            pod("old", 0, true), pod("old", 1, true), pod("old", 2, true), pod("new", 0, false));
    PodSetPlan plan = PodSetPlanner.plan(pods, 3, "new");
    assertThat(plan.changesSomething()).isFalse();
    assertThat(plan.waitingFor()).containsExactly("p-new-0");
  }

  @Test
  void rollingDeletesOneOldPodOnceTheNewOneIsReadyNotReadyOldFirst() {
    List<Pod> pods =
        List.of(
            pod("old", 0, true), pod("old", 1, false), pod("old", 2, true), pod("new", 0, true));
    PodSetPlan plan = PodSetPlanner.plan(pods, 3, "new");
    assertThat(deleted(plan)).containsExactly("p-old-1");
    assertThat(plan.delete().get(0).why()).isEqualTo(Why.REPLACED);
    assertThat(plan.create()).isEmpty();

    List<Pod> allReady =
        List.of(pod("old", 0, true), pod("old", 1, true), pod("old", 2, true), pod("new", 0, true));
    assertThat(deleted(PodSetPlanner.plan(allReady, 3, "new"))).containsExactly("p-old-2");
  }

  @Test
  void rollingRemovesAllOldPodsOnceTheNewRevisionCoversTheDesiredCount() {
    List<Pod> pods =
        List.of(pod("old", 0, true), pod("old", 1, true), pod("new", 0, true), pod("new", 1, true));
    PodSetPlan plan = PodSetPlanner.plan(pods, 2, "new");
    assertThat(deleted(plan)).containsExactlyInAnyOrder("p-old-0", "p-old-1");
  }

  @Test
  void rollingFillsAGapAtOnceWhenPodsAreFewerThanDesired() {
    // Scale-up from 2 to 4 during a roll: two pods are missing outright.
    List<Pod> pods = List.of(pod("old", 0, true), pod("old", 1, true));
    PodSetPlan plan = PodSetPlanner.plan(pods, 4, "new");
    assertThat(plan.create()).containsExactly(0, 1);
    assertThat(plan.delete()).isEmpty();
  }

  @Test
  void podsWithoutRevisionOrOrdinalCountAsOld() {
    Pod stray = pod("new", 0, true);
    stray.getMetadata().getLabels().remove("corebus.io/ordinal");
    PodSetPlan plan = PodSetPlanner.plan(List.of(stray), 1, "new");
    assertThat(plan.phase()).isEqualTo(Phase.ROLLING);
    assertThat(plan.create()).containsExactly(0);
  }

  @Test
  void scaleToZeroDeletesEverything() {
    PodSetPlan plan =
        PodSetPlanner.plan(List.of(pod("new", 0, true), pod("new", 1, true)), 0, "new");
    assertThat(deleted(plan)).containsExactly("p-new-1", "p-new-0");
  }
}
