package io.corebus.operator.rollout;

import io.corebus.crds.CanaryStatus;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.RequestLane;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pods and route weights of a plug-in during (and right after) a canary, with no I/O.
 *
 * <ul>
 *   <li>Each revision has a role: {@code stable}, {@code canary} or {@code retiring}. Progressing:
 *       the canary gets the step's weight (0 until one of its pods is Ready) and the stable the
 *       rest. Promoted: the canary takes 100 and becomes the stable; the old stable retires.
 *       RolledBack: the stable takes 100; the canary retires. Any other revision retires.
 *   <li>Pod counts for {@code replicas} desired: the canary gets max(1, ceil(replicas * weight /
 *       100)) pods, the stable max(1, ceil(replicas * (100 - weight) / 100)); once promoted or
 *       rolled back, the survivor gets {@code replicas}. Missing ordinals are created (lowest
 *       first), ordinals at or beyond the count deleted (highest first), failed pods replaced.
 *   <li>The stable and the canary consume different request lanes ({@link RequestLane}): the canary
 *       the lane the stable does not use. The route gives each its lane's topic.
 *   <li>A retiring revision's pods go only when no request can be stranded on their lane: another
 *       Ready pod that is not retiring consumes that lane, or the lane is {@code drained} (no route
 *       names it any more and nothing waits on it, which the caller checks with Kafka).
 * </ul>
 */
public final class CanaryPlan {

  public static final String STABLE = "stable";
  public static final String CANARY = "canary";
  public static final String RETIRING = "retiring";

  /**
   * A pod to create.
   *
   * @param template null: render it from the Plugin's spec (the canary, the current revision); else
   *     copy this pod of the same revision (the stable, whose spec is gone from the Plugin)
   */
  public record NewPod(String revision, int ordinal, RequestLane lane, Pod template) {}

  /** A revision's share of the route. */
  public record Share(String revision, String version, String role, int weight, RequestLane lane) {}

  /**
   * @param create pods to create
   * @param delete pods to delete (failed, surplus, or retiring on a drained lane)
   * @param shares the route's versions, the current spec revision first
   * @param roles each revision's role, for status
   * @param undrained lanes of retiring revisions that wait for the route and Kafka to let them go
   * @param waitingFor what the next step waits on, for status messages
   */
  public record Result(
      List<NewPod> create,
      List<Pod> delete,
      List<Share> shares,
      Map<String, String> roles,
      Set<RequestLane> undrained,
      String waitingFor) {}

  private CanaryPlan() {}

  /**
   * @param state where the canary stands (phase, stable and canary revision, weight)
   * @param specVersion the Plugin's spec.version (the canary's version)
   * @param replicas the desired pod count
   * @param pods the plug-in's pods as they are
   * @param drained lanes that no route names and Kafka says are empty
   */
  public static Result plan(
      CanaryStatus state,
      String specVersion,
      int replicas,
      List<Pod> pods,
      Set<RequestLane> drained) {
    String stable = state.getStableRevision();
    String canary = state.getCanaryRevision();
    String phase = state.getPhase();
    int weight = state.getWeight() == null ? 0 : state.getWeight();

    List<Pod> live = new ArrayList<>();
    List<Pod> delete = new ArrayList<>();
    Set<String> blocked = new TreeSet<>();
    for (Pod p : pods) {
      if (PodState.isFinished(p) && !PodState.isTerminating(p)) {
        delete.add(p);
      }
      if (PodState.isTerminating(p) || PodState.isFinished(p)) {
        // Its name is taken until the deletion is observed: the ordinal is created after that.
        blocked.add(PodState.revision(p) + "/" + PodState.ordinal(p));
      } else {
        live.add(p);
      }
    }
    Map<String, List<Pod>> byRevision = new LinkedHashMap<>();
    for (Pod p : live) {
      byRevision
          .computeIfAbsent(Objects.toString(PodState.revision(p), ""), r -> new ArrayList<>())
          .add(p);
    }
    RequestLane stableLane = laneOf(byRevision.get(stable), pods, stable, RequestLane.A);
    RequestLane canaryLane =
        CanaryStatus.PROGRESSING.equals(phase)
            ? stableLane.other()
            : laneOf(byRevision.get(canary), pods, canary, stableLane.other());

    Map<String, String> roles = new LinkedHashMap<>();
    List<Share> shares = new ArrayList<>();
    List<NewPod> create = new ArrayList<>();
    String waiting = null;
    boolean canaryReady = readyCount(byRevision.get(canary)) > 0;
    String stableVersion = versionOf(byRevision.get(stable), pods, stable, "unknown");

    switch (phase) {
      case CanaryStatus.PROMOTED -> {
        roles.put(canary, STABLE);
        shares.add(new Share(canary, specVersion, STABLE, 100, canaryLane));
        size(canary, canaryLane, replicas, null, true, byRevision, blocked, create, delete);
      }
      case CanaryStatus.ROLLED_BACK -> {
        roles.put(stable, STABLE);
        shares.add(new Share(stable, stableVersion, STABLE, 100, stableLane));
        size(
            stable,
            stableLane,
            replicas,
            template(stable, pods),
            false,
            byRevision,
            blocked,
            create,
            delete);
      }
      default -> {
        int effective = canaryReady ? weight : 0;
        if (!canaryReady) {
          waiting = "a Ready pod of the new revision";
        }
        roles.put(canary, CANARY);
        roles.put(stable, STABLE);
        shares.add(new Share(canary, specVersion, CANARY, effective, canaryLane));
        shares.add(new Share(stable, stableVersion, STABLE, 100 - effective, stableLane));
        int nCanary = Math.max(1, ceilShare(replicas, weight));
        int nStable = Math.max(1, ceilShare(replicas, 100 - weight));
        size(canary, canaryLane, nCanary, null, true, byRevision, blocked, create, delete);
        size(
            stable,
            stableLane,
            nStable,
            template(stable, pods),
            false,
            byRevision,
            blocked,
            create,
            delete);
      }
    }

    // Retiring revisions: gone once nothing can be stranded on their lane.
    Set<RequestLane> undrained = new TreeSet<>();
    for (Map.Entry<String, List<Pod>> e : byRevision.entrySet()) {
      if (roles.containsKey(e.getKey())) {
        continue;
      }
      roles.put(e.getKey(), RETIRING);
      for (Pod p : e.getValue()) {
        RequestLane lane = RequestLane.of(p);
        boolean shared =
            live.stream()
                .anyMatch(
                    o ->
                        roles.containsKey(Objects.toString(PodState.revision(o), ""))
                            && !RETIRING.equals(
                                roles.get(Objects.toString(PodState.revision(o), "")))
                            && PodState.isReady(o)
                            && RequestLane.of(o) == lane);
        if (shared || drained.contains(lane)) {
          delete.add(p);
        } else {
          undrained.add(lane);
        }
      }
    }
    if (waiting == null && !undrained.isEmpty()) {
      waiting = "request lane(s) " + undrained + " of the retiring revision to drain";
    }
    return new Result(create, delete, shares, roles, undrained, waiting);
  }

  /**
   * A new pod of an old revision, copied from one of its pods (its spec is no longer the Plugin's):
   * same spec and labels, its own name and ordinal, nothing the API server or kubelet set.
   */
  public static Pod copy(Pod template, String plugin, String revision, int ordinal) {
    Pod pod =
        new io.fabric8.kubernetes.api.model.PodBuilder(template)
            .withStatus(null)
            .editMetadata()
            .withName(PluginNames.pod(plugin, revision, ordinal))
            .withResourceVersion(null)
            .withUid(null)
            .withCreationTimestamp(null)
            .withDeletionTimestamp(null)
            .withDeletionGracePeriodSeconds(null)
            .withGeneration(null)
            .withManagedFields(List.of())
            .addToLabels(PluginNames.LABEL_ORDINAL, Integer.toString(ordinal))
            .endMetadata()
            .build();
    pod.getSpec().setNodeName(null);
    return pod;
  }

  /** ceil(replicas * percent / 100). */
  static int ceilShare(int replicas, int percent) {
    return (replicas * percent + 99) / 100;
  }

  /** Creates missing ordinals below {@code count}, deletes those at or beyond it. */
  private static void size(
      String revision,
      RequestLane lane,
      int count,
      Pod template,
      boolean fromSpec,
      Map<String, List<Pod>> byRevision,
      Set<String> blocked,
      List<NewPod> create,
      List<Pod> delete) {
    List<Pod> mine = byRevision.getOrDefault(revision, List.of());
    // Without a pod to copy, an old revision cannot be recreated (its spec is gone): it keeps
    // what it has.
    boolean canCreate = fromSpec || template != null;
    Set<Integer> present = new TreeSet<>();
    mine.forEach(p -> present.add(PodState.ordinal(p)));
    for (int i = 0; i < count; i++) {
      if (canCreate && !present.contains(i) && !blocked.contains(revision + "/" + i)) {
        create.add(new NewPod(revision, i, lane, template));
      }
    }
    mine.stream()
        .filter(p -> PodState.ordinal(p) >= count || PodState.ordinal(p) < 0)
        .sorted(Comparator.comparingInt(PodState::ordinal).reversed())
        .forEach(delete::add);
  }

  /** A pod to copy for new pods of an old revision: a live one, else any. */
  private static Pod template(String revision, List<Pod> pods) {
    return pods.stream()
        .filter(p -> revision != null && revision.equals(PodState.revision(p)))
        .min(Comparator.comparing((Pod p) -> PodState.isTerminating(p) || PodState.isFinished(p)))
        .orElse(null);
  }

  private static RequestLane laneOf(
      List<Pod> live, List<Pod> all, String revision, RequestLane fallback) {
    if (live != null && !live.isEmpty()) {
      return RequestLane.of(live.get(0));
    }
    return all.stream()
        .filter(p -> revision != null && revision.equals(PodState.revision(p)))
        .findFirst()
        .map(RequestLane::of)
        .orElse(fallback);
  }

  private static String versionOf(List<Pod> live, List<Pod> all, String revision, String fallback) {
    Pod p =
        live != null && !live.isEmpty()
            ? live.get(0)
            : all.stream()
                .filter(x -> revision != null && revision.equals(PodState.revision(x)))
                .findFirst()
                .orElse(null);
    String v = p == null ? null : PodState.version(p);
    return v == null || v.isBlank() ? fallback : v;
  }

  private static int readyCount(List<Pod> pods) {
    return pods == null ? 0 : (int) pods.stream().filter(PodState::isReady).count();
  }
}
