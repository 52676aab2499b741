package io.corebus.operator.rollout;

import io.corebus.crds.CanaryRollout;
import io.corebus.crds.CanaryStatus;
import io.corebus.crds.CanaryStep;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.RolloutStrategy;
import io.corebus.operator.bus.RequestBacklog;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.rollout.CanaryAnalysis.Verdict;
import io.corebus.operator.telemetry.PluginStats;
import io.corebus.operator.telemetry.PluginStats.Figures;
import io.corebus.operator.telemetry.PluginTelemetry;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs the canaries of Plugins with {@code rollout.strategy: Canary}: decides where each stands
 * (kept in {@code status.canary}, so a restarted operator continues), asks {@link CanaryAnalysis}
 * at every reconcile of a running step, and hands the reconciler a {@link CanaryPlan} (pods and
 * route weights) plus the Events to record. The reconciler's usual path applies whenever no canary
 * is active ({@link Step#active()} false).
 *
 * <p>A canary starts when a Canary Plugin's spec revision differs from that of its Ready-or-not
 * pods. A new spec during a canary restarts the steps against the same stable revision; a spec
 * reverted to the stable revision rolls back; a rolled-back revision stays rolled back until the
 * spec changes. Switching the strategy away during a canary promotes at once (the user asked for
 * the new version everywhere).
 *
 * <p>Draining: a retiring revision's lane counts as drained when no route has named it for {@link
 * #ROUTE_SETTLE} (callers' route tables follow the compacted topic within milliseconds) and Kafka
 * says nothing waits on it for the plug-in's request group; when Kafka cannot tell (no Kafka),
 * after {@link #DRAIN_TIMEOUT}.
 */
public final class CanaryRollouts {

  public static final String CANARY_STARTED = "CanaryStarted";
  public static final String CANARY_STEP = "CanaryStep";
  public static final String CANARY_PROMOTED = "CanaryPromoted";
  public static final String CANARY_ROLLED_BACK = "CanaryRolledBack";

  static final Duration ROUTE_SETTLE = Duration.ofSeconds(3);
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
  static final Duration RECHECK = Duration.ofSeconds(1);

  /** An Event to record. */
  public record Notice(boolean warning, String reason, String message) {}

  /**
   * @param active whether the canary owns the pods and routes in this reconcile
   * @param status what {@code status.canary} should say (null: nothing)
   * @param plan the pods and route weights, when active
   * @param notices Events to record
   * @param progressingTrue the Progressing condition's status, when active
   * @param reason the Progressing condition's reason, when active
   * @param message the Progressing condition's message, when active
   * @param recheck when to look again (null: no need)
   */
  public record Step(
      boolean active,
      CanaryStatus status,
      CanaryPlan.Result plan,
      List<Notice> notices,
      boolean progressingTrue,
      String reason,
      String message,
      Duration recheck) {}

  private final PluginTelemetry telemetry;
  private final RequestBacklog backlog;
  private final Clock clock;

  /** plugin key -> lane -> when the plan first left it out of the route. */
  private final Map<String, Map<RequestLane, Instant>> unroutedSince = new ConcurrentHashMap<>();

  public CanaryRollouts(PluginTelemetry telemetry, RequestBacklog backlog, Clock clock) {
    this.telemetry = telemetry;
    this.backlog = backlog;
    this.clock = clock;
  }

  public Step evaluate(Plugin plugin, String revision, int replicas, List<Pod> pods) {
    Instant now = clock.instant();
    PluginSpec spec = plugin.getSpec();
    CanaryStatus before =
        plugin.getStatus() == null || plugin.getStatus().getCanary() == null
            ? null
            : plugin.getStatus().getCanary();
    CanaryStatus st = before == null ? null : before.copy();
    List<Notice> notices = new ArrayList<>();
    boolean configured = configured(spec);
    Map<String, Integer> liveByRevision = liveByRevision(pods);
    boolean othersLive = liveByRevision.keySet().stream().anyMatch(r -> !r.equals(revision));

    if (st != null && CanaryStatus.PROGRESSING.equals(st.getPhase())) {
      if (revision.equals(st.getStableRevision())) {
        rolledBack(st, "the spec went back to the stable revision", notices);
      } else if (!revision.equals(st.getCanaryRevision())) {
        st =
            othersLive && configured
                ? start(plugin, revision, stableFor(st, liveByRevision, revision), now, notices)
                : null;
      } else if (!liveByRevision.containsKey(st.getStableRevision())) {
        promoted(st, "the stable revision has no pods left", notices);
      } else if (!configured) {
        promoted(st, "the rollout strategy is no longer Canary", notices);
      }
    } else if (st != null && CanaryStatus.PROMOTED.equals(st.getPhase())) {
      if (!revision.equals(st.getCanaryRevision())) {
        st =
            othersLive && configured
                ? start(plugin, revision, stableFor(st, liveByRevision, revision), now, notices)
                : st;
      }
    } else if (st != null && CanaryStatus.ROLLED_BACK.equals(st.getPhase())) {
      boolean kept =
          (revision.equals(st.getCanaryRevision()) && configured)
              || revision.equals(st.getStableRevision());
      if (!kept || !liveByRevision.containsKey(st.getStableRevision())) {
        if (othersLive && configured) {
          st = start(plugin, revision, stableFor(st, liveByRevision, revision), now, notices);
        }
      }
    } else if (othersLive && configured) {
      st = start(plugin, revision, stableFor(null, liveByRevision, revision), now, notices);
    }

    boolean active = st != null && isActive(st, revision, liveByRevision);
    if (!active) {
      unroutedSince.remove(key(plugin));
      return new Step(false, st, null, notices, false, null, null, null);
    }

    if (CanaryStatus.PROGRESSING.equals(st.getPhase())) {
      analyse(plugin, st, pods, now, notices);
    }
    String key = key(plugin);
    Set<RequestLane> drained = drained(plugin, key, now);
    CanaryPlan.Result plan = CanaryPlan.plan(st, spec.getVersion(), replicas, pods, drained);
    noteRouted(key, plan, now);
    if (CanaryStatus.PROGRESSING.equals(st.getPhase())) {
      int effective =
          plan.shares().stream()
              .filter(s -> CanaryPlan.CANARY.equals(s.role()))
              .mapToInt(CanaryPlan.Share::weight)
              .findFirst()
              .orElse(0);
      st.setWeight(configuredWeight(spec, st));
      if (effective == 0) {
        // The window starts when the new revision can take its share.
        st.setStepStartTime(null);
      } else if (st.getStepStartTime() == null) {
        st.setStepStartTime(timestamp(now));
      }
    }
    return new Step(
        true,
        st,
        plan,
        notices,
        progressing(st, plan),
        reason(st),
        message(st, spec, plan),
        // Telemetry moves without any event: a running step is looked at every second, and so
        // is a lane waiting to drain; a settled rollback needs nothing.
        progressing(st, plan) ? RECHECK : null);
  }

  /** The plug-in was deleted. */
  public void forget(Plugin plugin) {
    unroutedSince.remove(key(plugin));
  }

  private void analyse(
      Plugin plugin, CanaryStatus st, List<Pod> pods, Instant now, List<Notice> notices) {
    CanaryRollout spec = plugin.getSpec().getRollout().getCanary();
    int step = st.getStep() == null ? 0 : st.getStep();
    if (st.getStepStartTime() == null) {
      st.setVerdict("Hold");
      st.setMessage("waiting for a Ready pod of revision " + st.getCanaryRevision());
      return;
    }
    Instant start = Instant.parse(st.getStepStartTime());
    Optional<PluginStats> stats =
        telemetry.plugin(plugin.getMetadata().getNamespace(), plugin.getMetadata().getName());
    // By revision, not version: two revisions may share a spec.version (an env change).
    Optional<Figures> stable = stats.map(s -> s.revisions().get(st.getStableRevision()));
    Optional<Figures> canary = stats.map(s -> s.revisions().get(st.getCanaryRevision()));
    boolean fresh =
        stats.isPresent()
            && stats.get().instances().values().stream()
                .anyMatch(i -> i.fresh() && st.getCanaryRevision().equals(i.revision()));
    Verdict v = CanaryAnalysis.judge(spec, step, start, stable, canary, fresh, now);
    switch (v.decision()) {
      case HOLD -> {
        st.setVerdict("Hold");
        st.setMessage(
            "TelemetryStale".equals(v.reason())
                ? v.message()
                : "analysing step "
                    + (step + 1)
                    + " of "
                    + spec.getSteps().size()
                    + " until "
                    + timestamp(
                        start.plusSeconds(
                            analysisSeconds(
                                spec.getSteps().get(Math.min(step, spec.getSteps().size() - 1))))));
      }
      case ADVANCE -> {
        st.setStep(step + 1);
        st.setWeight(spec.getSteps().get(step + 1).getWeight());
        st.setStepStartTime(timestamp(now));
        st.setVerdict("Advance");
        st.setMessage(v.message());
        notices.add(
            new Notice(
                false,
                CANARY_STEP,
                "Version "
                    + st.getCanaryVersion()
                    + " advanced to "
                    + st.getWeight()
                    + "% (step "
                    + (step + 2)
                    + " of "
                    + spec.getSteps().size()
                    + "): "
                    + v.message()));
      }
      case PROMOTE -> {
        st.setVerdict("Promote");
        promoted(st, v.message(), notices);
      }
      case ROLLBACK -> {
        st.setVerdict("Rollback");
        rolledBack(st, v.reason() + " out of bounds " + v.message(), notices);
      }
    }
  }

  private static void promoted(CanaryStatus st, String why, List<Notice> notices) {
    st.setPhase(CanaryStatus.PROMOTED);
    st.setWeight(100);
    st.setStepStartTime(null);
    st.setVerdict("Promote");
    st.setMessage(why);
    notices.add(
        new Notice(
            false,
            CANARY_PROMOTED,
            "Version "
                + st.getCanaryVersion()
                + " (revision "
                + st.getCanaryRevision()
                + ") promoted to 100%; revision "
                + st.getStableRevision()
                + " drains and goes: "
                + why));
  }

  private static void rolledBack(CanaryStatus st, String why, List<Notice> notices) {
    st.setPhase(CanaryStatus.ROLLED_BACK);
    st.setWeight(0);
    st.setStepStartTime(null);
    st.setVerdict("Rollback");
    st.setMessage(why);
    notices.add(
        new Notice(
            true,
            CANARY_ROLLED_BACK,
            "Version "
                + st.getCanaryVersion()
                + " (revision "
                + st.getCanaryRevision()
                + ") rolled back; revision "
                + st.getStableRevision()
                + " takes 100% again: "
                + why));
  }

  private static CanaryStatus start(
      Plugin plugin, String revision, String stable, Instant now, List<Notice> notices) {
    CanaryRollout spec = plugin.getSpec().getRollout().getCanary();
    CanaryStatus st = new CanaryStatus();
    st.setPhase(CanaryStatus.PROGRESSING);
    st.setStableRevision(stable);
    st.setCanaryRevision(revision);
    st.setCanaryVersion(plugin.getSpec().getVersion());
    st.setStep(0);
    st.setWeight(spec.getSteps().get(0).getWeight());
    st.setVerdict("Hold");
    st.setMessage("waiting for a Ready pod of revision " + revision);
    notices.add(
        new Notice(
            false,
            CANARY_STARTED,
            "Canary of version "
                + plugin.getSpec().getVersion()
                + " (revision "
                + revision
                + ") against revision "
                + stable
                + ": steps "
                + spec.getSteps().stream().map(s -> s.getWeight() + "%").toList()));
    return st;
  }

  /** The stable revision for a new canary: the one that served so far, if it still has pods. */
  private static String stableFor(
      CanaryStatus st, Map<String, Integer> liveByRevision, String revision) {
    if (st != null) {
      String served =
          CanaryStatus.PROMOTED.equals(st.getPhase())
              ? st.getCanaryRevision()
              : st.getStableRevision();
      if (served != null && !served.equals(revision) && liveByRevision.containsKey(served)) {
        return served;
      }
    }
    return liveByRevision.entrySet().stream()
        .filter(e -> !e.getKey().equals(revision))
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey)
        .orElseThrow();
  }

  /** Whether the canary plan, not the usual path, runs the pods. */
  private static boolean isActive(
      CanaryStatus st, String revision, Map<String, Integer> liveByRevision) {
    return switch (st.getPhase()) {
      case CanaryStatus.PROGRESSING -> true;
      case CanaryStatus.PROMOTED ->
          revision.equals(st.getCanaryRevision())
              && liveByRevision.keySet().stream().anyMatch(r -> !r.equals(revision));
      case CanaryStatus.ROLLED_BACK ->
          (revision.equals(st.getCanaryRevision())
                  && liveByRevision.containsKey(st.getStableRevision()))
              || (revision.equals(st.getStableRevision())
                  && liveByRevision.keySet().stream().anyMatch(r -> !r.equals(revision)));
      default -> false;
    };
  }

  private Set<RequestLane> drained(Plugin plugin, String key, Instant now) {
    Set<RequestLane> out = EnumSet.noneOf(RequestLane.class);
    Map<RequestLane, Instant> since = unroutedSince.getOrDefault(key, Map.of());
    for (Map.Entry<RequestLane, Instant> e : since.entrySet()) {
      if (now.isBefore(e.getValue().plus(ROUTE_SETTLE))) {
        continue;
      }
      List<String> topics = topicsOf(plugin, e.getKey());
      Optional<Long> waiting = backlog.waitingOn(plugin, topics);
      if (waiting.map(w -> w == 0).orElse(!now.isBefore(e.getValue().plus(DRAIN_TIMEOUT)))) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  private static List<String> topicsOf(Plugin plugin, RequestLane lane) {
    List<String> topics = new ArrayList<>();
    for (String entry : lane.topics(plugin).format().split(";")) {
      if (!entry.isBlank()) {
        topics.add(entry.substring(entry.indexOf('=') + 1));
      }
    }
    return topics;
  }

  private void noteRouted(String key, CanaryPlan.Result plan, Instant now) {
    Set<RequestLane> routed = EnumSet.noneOf(RequestLane.class);
    plan.shares().stream().filter(s -> s.weight() > 0).forEach(s -> routed.add(s.lane()));
    Map<RequestLane, Instant> since =
        unroutedSince.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
    for (RequestLane lane : RequestLane.values()) {
      if (routed.contains(lane)) {
        since.remove(lane);
      } else {
        since.putIfAbsent(lane, now);
      }
    }
  }

  private static boolean progressing(CanaryStatus st, CanaryPlan.Result plan) {
    return CanaryStatus.PROGRESSING.equals(st.getPhase())
        || !plan.create().isEmpty()
        || !plan.delete().isEmpty()
        || !plan.undrained().isEmpty();
  }

  private static String reason(CanaryStatus st) {
    return switch (st.getPhase()) {
      case CanaryStatus.PROMOTED -> CANARY_PROMOTED;
      case CanaryStatus.ROLLED_BACK -> CANARY_ROLLED_BACK;
      default -> CANARY_STEP;
    };
  }

  private static String message(CanaryStatus st, PluginSpec spec, CanaryPlan.Result plan) {
    StringBuilder b = new StringBuilder();
    switch (st.getPhase()) {
      case CanaryStatus.PROMOTED ->
          b.append("version ")
              .append(st.getCanaryVersion())
              .append(" promoted (revision ")
              .append(st.getCanaryRevision())
              .append(")");
      case CanaryStatus.ROLLED_BACK ->
          b.append("version ")
              .append(st.getCanaryVersion())
              .append(" rolled back; revision ")
              .append(st.getStableRevision())
              .append(" serves: ")
              .append(st.getMessage());
      default -> {
        int steps = spec.getRollout().getCanary().getSteps().size();
        b.append("canary of version ")
            .append(st.getCanaryVersion())
            .append(" at step ")
            .append(st.getStep() + 1)
            .append(" of ")
            .append(steps)
            .append(": weights ");
        b.append(
            String.join(
                ", ",
                plan.shares().stream()
                    .map(s -> s.role() + " " + s.version() + " " + s.weight() + "%")
                    .toList()));
        b.append("; ").append(st.getVerdict());
      }
    }
    if (plan.waitingFor() != null) {
      b.append("; waiting for ").append(plan.waitingFor());
    }
    return b.toString();
  }

  static boolean configured(PluginSpec spec) {
    return spec.getRollout() != null
        && spec.getRollout().getStrategy() == RolloutStrategy.Canary
        && spec.getRollout().getCanary() != null
        && spec.getRollout().getCanary().getSteps() != null
        && !spec.getRollout().getCanary().getSteps().isEmpty();
  }

  private static int configuredWeight(PluginSpec spec, CanaryStatus st) {
    List<CanaryStep> steps = spec.getRollout().getCanary().getSteps();
    int step = Math.min(st.getStep() == null ? 0 : st.getStep(), steps.size() - 1);
    return steps.get(step).getWeight();
  }

  private static int analysisSeconds(CanaryStep step) {
    return step.getAnalysisSeconds() == null ? 60 : step.getAnalysisSeconds();
  }

  private static Map<String, Integer> liveByRevision(List<Pod> pods) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Pod p : pods) {
      if (!PodState.isTerminating(p) && !PodState.isFinished(p)) {
        out.merge(Objects.toString(PodState.revision(p), ""), 1, Integer::sum);
      }
    }
    return out;
  }

  private static String key(Plugin plugin) {
    return plugin.getMetadata().getNamespace() + "/" + plugin.getMetadata().getName();
  }

  static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
