package io.corebus.operator.model;

import io.corebus.operator.model.PodSetPlan.Phase;
import io.corebus.operator.model.PodSetPlan.Removal;
import io.corebus.operator.model.PodSetPlan.Why;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Decides the next step for a plug-in's pods, like Strimzi's StrimziPodSet: the operator owns each
 * pod, named {@code <plugin>-<revision>-<ordinal>}, so the same ordinal never exists twice at one
 * revision and every decision can be re-derived from the pods alone (a restarted operator picks up
 * where the last one stopped).
 *
 * <ul>
 *   <li>Failed or exited pods are deleted; their ordinal is created again next.
 *   <li>Without pods of another revision: create every missing ordinal, delete every ordinal at or
 *       beyond the desired count (highest first).
 *   <li>Rolling (pods of another revision exist): surge by one. Create one new-revision pod, wait
 *       until it is Ready, then delete one old pod (not-Ready ones first, then the highest
 *       ordinal), and repeat. The Ready count never drops below what the old pods gave. When the
 *       pods are fewer than desired (scale-up during a roll), the gap is filled at once.
 * </ul>
 *
 * Pure: the reconciler executes the plan and the next pod event triggers the next step.
 */
public final class PodSetPlanner {
  private PodSetPlanner() {}

  private static final Comparator<Pod> HIGHEST_ORDINAL_FIRST =
      Comparator.comparingInt(PodState::ordinal)
          .reversed()
          .thenComparing(p -> p.getMetadata().getName());

  public static PodSetPlan plan(List<Pod> pods, int desired, String revision) {
    List<Removal> delete = new ArrayList<>();
    List<Integer> create = new ArrayList<>();

    // A current-revision ordinal whose pod is terminating (or is deleted now because it failed)
    // keeps its name until the deletion is observed: it is created again after that.
    Set<Integer> blocked = new TreeSet<>();
    List<Pod> live = new ArrayList<>();
    for (Pod p : pods) {
      boolean gone = PodState.isTerminating(p) || PodState.isFinished(p);
      if (gone && revision.equals(PodState.revision(p))) {
        blocked.add(PodState.ordinal(p));
      }
      if (PodState.isFinished(p) && !PodState.isTerminating(p)) {
        delete.add(new Removal(p, Why.FINISHED));
      } else if (!gone) {
        live.add(p);
      }
    }

    List<Pod> current = new ArrayList<>();
    List<Pod> old = new ArrayList<>();
    for (Pod p : live) {
      if (revision.equals(PodState.revision(p)) && PodState.ordinal(p) >= 0) {
        current.add(p);
      } else {
        old.add(p);
      }
    }
    Set<Integer> present =
        current.stream().map(PodState::ordinal).collect(Collectors.toCollection(TreeSet::new));
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < desired; i++) {
      if (!present.contains(i) && !blocked.contains(i)) {
        missing.add(i);
      }
    }
    List<Pod> surplus =
        current.stream()
            .filter(p -> PodState.ordinal(p) >= desired)
            .sorted(HIGHEST_ORDINAL_FIRST)
            .toList();

    if (old.isEmpty()) {
      create.addAll(missing);
      surplus.forEach(p -> delete.add(new Removal(p, Why.SURPLUS)));
      boolean settled =
          create.isEmpty()
              && delete.isEmpty()
              && current.size() == desired
              && current.stream().allMatch(PodState::isReady)
              && blocked.isEmpty();
      List<String> waiting =
          current.stream()
              .filter(p -> !PodState.isReady(p))
              .map(p -> p.getMetadata().getName())
              .toList();
      return new PodSetPlan(create, delete, settled ? Phase.STABLE : Phase.SCALING, waiting);
    }

    // Rolling.
    List<Pod> currentNotReady = current.stream().filter(p -> !PodState.isReady(p)).toList();
    long currentReady = current.size() - currentNotReady.size();
    int total = current.size() + old.size();

    if (currentReady >= desired) {
      // The new revision alone covers the desired count: every old pod can go.
      old.stream()
          .sorted(HIGHEST_ORDINAL_FIRST)
          .forEach(p -> delete.add(new Removal(p, Why.REPLACED)));
      surplus.forEach(p -> delete.add(new Removal(p, Why.SURPLUS)));
      return new PodSetPlan(create, delete, Phase.ROLLING, List.of());
    }
    if (total < desired) {
      // Fewer pods than desired: fill the gap now, it replaces nothing.
      create.addAll(missing.subList(0, Math.min(missing.size(), desired - total)));
    }
    if (!currentNotReady.isEmpty() || !create.isEmpty()) {
      List<String> waiting =
          new ArrayList<>(currentNotReady.stream().map(p -> p.getMetadata().getName()).toList());
      return new PodSetPlan(create, delete, Phase.ROLLING, waiting);
    }
    if (total > desired) {
      // A new pod became Ready: one old pod makes room.
      Pod victim =
          old.stream()
              .sorted(
                  Comparator.comparing((Pod p) -> PodState.isReady(p))
                      .thenComparing(HIGHEST_ORDINAL_FIRST))
              .findFirst()
              .orElseThrow();
      delete.add(new Removal(victim, Why.REPLACED));
      return new PodSetPlan(create, delete, Phase.ROLLING, List.of());
    }
    if (!missing.isEmpty()) {
      // Surge: one new pod next to the old ones.
      create.add(missing.get(0));
      return new PodSetPlan(create, delete, Phase.ROLLING, List.of());
    }
    // Every ordinal exists at the new revision but some are beyond desired while old pods
    // remain; remove surplus new pods first.
    surplus.forEach(p -> delete.add(new Removal(p, Why.SURPLUS)));
    return new PodSetPlan(create, delete, Phase.ROLLING, List.of());
  }
}
