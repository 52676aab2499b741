package io.corebus.operator.status;

import io.corebus.crds.CanaryStatus;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginStatus;
import io.corebus.crds.VersionStatus;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.model.HotSwapProgress;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PodSetPlan;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.ReplicaCount;
import io.corebus.operator.model.VersionWeights;
import io.corebus.operator.validation.Validation;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Builds a Plugin's status in one place (Keycloak's habit). Three fixed conditions, Ready,
 * Progressing and Degraded, always present; a condition's lastTransitionTime moves only when its
 * status flips; observedGeneration is always the spec's generation; fields written by other parts
 * of the operator (telemetry) are carried over. Comparing the result with the current status with
 * {@code equals} tells whether a status write is needed at all.
 */
public final class PluginStatusAggregator {

  /**
   * A fourth condition type, present when autoscaling.mode is not Off: True while the autoscaler
   * acts on trustworthy figures, False when it refuses to scale in (reasons in {@link
   * io.corebus.operator.autoscaling.Autoscaler}).
   */
  public static final String AUTOSCALING = "Autoscaling";

  public static final String PODS_READY = "PodsReady";
  public static final String PODS_NOT_READY = "PodsNotReady";
  public static final String ROLLING_UPDATE = "RollingUpdate";
  public static final String SCALING = "Scaling";
  public static final String COMPLETE = "Complete";
  public static final String BLOCKED = "Blocked";
  public static final String UNRESOLVED_REQUIRES = "UnresolvedRequires";
  public static final String AS_EXPECTED = "AsExpected";
  public static final String RECONCILE_FAILED = "ReconcileFailed";
  public static final String KAFKA_UNAVAILABLE = "KafkaUnavailable";
  public static final String TOPIC_CONFLICT = "TopicConflict";
  public static final String TOPICS_NOT_CREATED = "TopicsNotCreated";
  public static final String ROUTES_NOT_PUBLISHED = "RoutesNotPublished";
  public static final String HOT_SWAP = "HotSwap";
  public static final String HOT_SWAP_FAILED = "HotSwapFailed";
  public static final String CONTROL_NOT_PUBLISHED = "ControlNotPublished";

  /**
   * Something wrong with the plug-in's side of the bus (Kafka, its topics, its routes).
   *
   * @param reason one of the reasons above, for the Degraded condition
   * @param message what is wrong, for people
   */
  public record BusProblem(String reason, String message) {}

  private static final List<String> TYPES =
      List.of(Condition.READY, Condition.PROGRESSING, Condition.DEGRADED);

  private final Plugin plugin;
  private final PluginStatus previous;
  private final Instant now;
  private final Map<String, Condition> conditions = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private boolean podsObserved;
  private int replicas;
  private int readyReplicas;
  private String updateRevision;
  private List<VersionStatus> versions = List.of();
  private HotSwapProgress hotSwap;
  private BusProblem busProblem;
  private PodFailure podFailure;
  private PluginScaler.Scaling scaling;
  private CanaryStatus canary;
  private boolean canarySet;
  private Condition canaryProgressing;
  private Map<String, String> roles = Map.of();
  private Map<String, Integer> weights = Map.of();

  private PluginStatusAggregator(Plugin plugin, Instant now) {
    this.plugin = plugin;
    this.previous = plugin.getStatus() == null ? new PluginStatus() : plugin.getStatus();
    this.now = now;
  }

  public static PluginStatusAggregator of(Plugin plugin, Instant now) {
    return new PluginStatusAggregator(plugin, now);
  }

  /** Something the user should know that is not an error, appended to the Ready message. */
  public PluginStatusAggregator note(String note) {
    if (note != null) {
      notes.add(note);
    }
    return this;
  }

  /**
   * A problem on the bus: Degraded=True with its reason (unless the Plugin is invalid, which says
   * more). Pods are managed regardless: they run independently of Kafka.
   */
  public PluginStatusAggregator bus(BusProblem problem) {
    this.busProblem = problem;
    return this;
  }

  /**
   * The normal path: conditions from the validation, the pods as they are after this reconcile's
   * actions, and the plan's phase.
   */
  public PluginStatusAggregator observe(
      Validation validation, ReplicaCount count, String revision, List<Pod> pods, PodSetPlan plan) {
    pods(pods, revision);
    String version = plugin.getSpec().getVersion();
    if (!validation.unresolvedRequires().isEmpty()) {
      note(
          "requires not provided in this namespace yet: "
              + String.join(", ", validation.unresolvedRequires()));
    }

    if (!validation.valid()) {
      String kept =
          replicas == 0 ? "" : "; its " + replicas + " existing pod(s) are left as they are";
      set(Condition.READY, false, validation.reason(), validation.message() + kept);
      set(
          Condition.PROGRESSING,
          false,
          BLOCKED,
          "no pod changes until the Plugin is fixed (see Ready)");
      set(
          Condition.DEGRADED,
          true,
          validation.reason(),
          "the Plugin cannot run as written (see Ready)");
      return this;
    }

    int desired = count.desired();
    String readyText = readyReplicas + "/" + desired + " pods ready";
    if (readyReplicas >= desired) {
      set(Condition.READY, true, PODS_READY, readyText);
    } else if (podFailure != null) {
      set(Condition.READY, false, podFailure.reason(), readyText + "; " + podFailure.message());
    } else {
      set(Condition.READY, false, PODS_NOT_READY, readyText);
    }

    long updated = pods.stream().filter(p -> revision.equals(PodState.revision(p))).count();
    switch (plan.phase()) {
      case ROLLING -> {
        String waiting =
            plan.waitingFor().isEmpty()
                ? ""
                : ", waiting for " + String.join(", ", plan.waitingFor()) + " to become Ready";
        set(
            Condition.PROGRESSING,
            true,
            ROLLING_UPDATE,
            "rolling out revision "
                + revision
                + " (version "
                + version
                + "): "
                + updated
                + " of "
                + desired
                + " pods updated"
                + waiting);
      }
      case SCALING ->
          set(
              Condition.PROGRESSING,
              true,
              SCALING,
              "scaling to "
                  + desired
                  + " pods at revision "
                  + revision
                  + ": "
                  + updated
                  + " exist, "
                  + readyReplicas
                  + " ready");
      case STABLE ->
          set(
              Condition.PROGRESSING,
              false,
              COMPLETE,
              desired + " pods at revision " + revision + " (version " + version + ")");
    }
    if (hotSwap != null && plan.phase() == PodSetPlan.Phase.STABLE) {
      if (hotSwap.failed()) {
        set(Condition.PROGRESSING, false, HOT_SWAP_FAILED, hotSwap.describeFailures());
      } else if (!hotSwap.complete()) {
        set(Condition.PROGRESSING, true, HOT_SWAP, hotSwap.describe());
      }
    }

    if (busProblem != null) {
      set(Condition.DEGRADED, true, busProblem.reason(), busProblem.message());
    } else if (hotSwap != null && hotSwap.failed()) {
      set(Condition.DEGRADED, true, HOT_SWAP_FAILED, hotSwap.describeFailures());
    } else if (podFailure != null) {
      // Also while older pods still serve (a rollout to a bad artifact stops at its first pod).
      set(Condition.DEGRADED, true, podFailure.reason(), podFailure.message());
    } else if (!validation.unresolvedRequires().isEmpty()) {
      set(
          Condition.DEGRADED,
          true,
          UNRESOLVED_REQUIRES,
          "no Plugin in namespace "
              + plugin.getMetadata().getNamespace()
              + " provides "
              + String.join(", ", validation.unresolvedRequires())
              + "; calls to them fail until one does");
    } else {
      set(Condition.DEGRADED, false, AS_EXPECTED, "nothing is degraded");
    }
    return this;
  }

  /**
   * The autoscaler's outcome: status.desiredReplicas, the telemetry figures, lastScaleTime, and the
   * Autoscaling condition (present unless the mode is Off).
   */
  public PluginStatusAggregator autoscaling(PluginScaler.Scaling scaling) {
    this.scaling = scaling;
    return this;
  }

  /**
   * A HotSwap Plugin's swap state: Progressing (HotSwap, or HotSwapFailed), Degraded on failure,
   * and the version shown for the current revision. Call before {@link #observe}.
   */
  public PluginStatusAggregator hotSwap(HotSwapProgress progress) {
    this.hotSwap = progress;
    return this;
  }

  /**
   * A canary's view: {@code status.canary}, and, while the canary owns the pods ({@code
   * progressing} not null), the Progressing condition and each version's weight and role in place
   * of the share-of-Ready-pods ones. Applied after {@link #observe}.
   *
   * @param canary what status.canary should say (null: none)
   * @param progressing True/False of Progressing, or null when the canary is not active
   * @param weights route weight per revision (revisions not listed: 0)
   * @param roles stable, canary or retiring per revision
   */
  public PluginStatusAggregator canary(
      CanaryStatus canary,
      Boolean progressing,
      String reason,
      String message,
      Map<String, Integer> weights,
      Map<String, String> roles) {
    this.canary = canary;
    this.canarySet = true;
    if (progressing != null) {
      this.canaryProgressing =
          new Condition(
              Condition.PROGRESSING,
              progressing ? Condition.TRUE : Condition.FALSE,
              reason,
              message);
      this.weights = Map.copyOf(weights);
      this.roles = Map.copyOf(roles);
    }
    return this;
  }

  /** The reconcile itself failed (API error...): Degraded says so, the rest stays as it was. */
  public PluginStatusAggregator reconcileFailed(String message) {
    set(Condition.DEGRADED, true, RECONCILE_FAILED, message);
    return this;
  }

  private void pods(List<Pod> pods, String revision) {
    podsObserved = true;
    updateRevision = revision;
    List<Pod> live =
        pods.stream().filter(p -> !PodState.isTerminating(p) && !PodState.isFinished(p)).toList();
    replicas = live.size();
    readyReplicas = (int) live.stream().filter(PodState::isReady).count();
    podFailure = PodFailure.first(live).orElse(null);

    Map<String, List<Pod>> byRevision = new TreeMap<>();
    for (Pod p : live) {
      byRevision
          .computeIfAbsent(Objects.toString(PodState.revision(p), ""), r -> new ArrayList<>())
          .add(p);
    }
    List<VersionStatus> out = new ArrayList<>();
    for (Map.Entry<String, List<Pod>> e : byRevision.entrySet()) {
      List<Pod> revPods = e.getValue();
      int ready = (int) revPods.stream().filter(PodState::isReady).count();
      out.add(
          new VersionStatus(
              PodState.version(revPods.get(0)), e.getKey(), revPods.size(), ready, 0));
    }
    if (hotSwap != null) {
      // A hot swap changes what the pods of a revision run, not their labels.
      out.stream()
          .filter(v -> revision.equals(v.getRevision()))
          .forEach(v -> v.setVersion(hotSwap.servingVersion()));
    }
    // Each version's share of calls is its share of Ready pods.
    List<Integer> weights =
        VersionWeights.split(out.stream().map(VersionStatus::getReadyReplicas).toList());
    for (int i = 0; i < out.size(); i++) {
      out.get(i).setWeight(weights.get(i));
    }
    // The current revision first, then the others.
    out.sort(
        Comparator.comparing((VersionStatus v) -> !revision.equals(v.getRevision()))
            .thenComparing(VersionStatus::getRevision));
    versions = out;
  }

  private void set(String type, boolean status, String reason, String message) {
    conditions.put(
        type, new Condition(type, status ? Condition.TRUE : Condition.FALSE, reason, message));
  }

  public PluginStatus build() {
    if (canaryProgressing != null && conditions.containsKey(Condition.PROGRESSING)) {
      conditions.put(Condition.PROGRESSING, canaryProgressing);
      for (VersionStatus v : versions) {
        v.setWeight(weights.getOrDefault(v.getRevision(), 0));
        v.setRole(roles.get(v.getRevision()));
      }
    }
    PluginStatus s = new PluginStatus();
    Long generation = plugin.getMetadata().getGeneration();
    s.setObservedGeneration(generation);

    if (conditions.containsKey(Condition.READY) && !notes.isEmpty()) {
      Condition ready = conditions.get(Condition.READY);
      ready.setMessage(ready.getMessage() + ". " + String.join(". ", notes));
    }
    List<Condition> out = new ArrayList<>();
    for (String type : TYPES) {
      Condition before = previous.condition(type);
      Condition c = conditions.get(type);
      if (c == null) {
        c =
            before == null
                ? new Condition(type, Condition.UNKNOWN, "Reconciling", "not computed yet")
                : copy(before);
      }
      boolean flipped = before == null || !Objects.equals(before.getStatus(), c.getStatus());
      c.setLastTransitionTime(
          flipped || before.getLastTransitionTime() == null
              ? timestamp(now)
              : before.getLastTransitionTime());
      c.setObservedGeneration(generation);
      out.add(c);
    }
    Condition scalingCondition = autoscalingCondition();
    if (scalingCondition != null) {
      Condition before = previous.condition(AUTOSCALING);
      boolean flipped =
          before == null || !Objects.equals(before.getStatus(), scalingCondition.getStatus());
      scalingCondition.setLastTransitionTime(
          flipped || before.getLastTransitionTime() == null
              ? timestamp(now)
              : before.getLastTransitionTime());
      scalingCondition.setObservedGeneration(generation);
      out.add(scalingCondition);
    }
    s.setConditions(out);

    if (podsObserved) {
      s.setReplicas(replicas);
      s.setReadyReplicas(readyReplicas);
      s.setUpdateRevision(updateRevision);
      s.setVersions(new ArrayList<>(versions));
    } else {
      s.setReplicas(previous.getReplicas());
      s.setReadyReplicas(previous.getReadyReplicas());
      s.setUpdateRevision(previous.getUpdateRevision());
      s.setVersions(previous.getVersions());
    }
    s.setSelector(PluginNames.selector(plugin));
    s.setCanary(canarySet ? canary : previous.getCanary());

    if (scaling != null) {
      s.setDesiredReplicas(scaling.desired());
      s.setQps(scaling.figures().qps());
      s.setLag(scaling.figures().lag());
      s.setP99LatencyMs(scaling.figures().p99LatencyMs());
      s.setErrorRate(scaling.figures().errorRate());
      s.setLastScaleTime(scaling.lastScaleTime());
    } else {
      s.setDesiredReplicas(previous.getDesiredReplicas());
      s.setQps(previous.getQps());
      s.setLag(previous.getLag());
      s.setP99LatencyMs(previous.getP99LatencyMs());
      s.setErrorRate(previous.getErrorRate());
      s.setLastScaleTime(previous.getLastScaleTime());
    }
    return s;
  }

  /** The Autoscaling condition: this reconcile's, else the previous one (an invalid Plugin). */
  private Condition autoscalingCondition() {
    if (scaling != null) {
      var verdict = scaling.condition();
      return verdict == null
          ? null
          : new Condition(
              AUTOSCALING,
              verdict.ok() ? Condition.TRUE : Condition.FALSE,
              verdict.reason(),
              verdict.message());
    }
    Condition before = previous.condition(AUTOSCALING);
    return before == null ? null : copy(before);
  }

  private static Condition copy(Condition c) {
    return new Condition(c.getType(), c.getStatus(), c.getReason(), c.getMessage());
  }

  static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
