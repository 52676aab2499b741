package io.corebus.operator.plugin;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.DesiredArtifact;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.PluginStatus;
import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.autoscaling.PluginScaler.Scaling;
import io.corebus.operator.bus.DesiredRoutes;
import io.corebus.operator.bus.KafkaUnavailableException;
import io.corebus.operator.bus.PluginControl;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.bus.PluginTopics.Checked;
import io.corebus.operator.bus.PluginTopics.Draining;
import io.corebus.operator.bus.PluginTopics.EnsureReport;
import io.corebus.operator.bus.PluginTopics.ReleaseReport;
import io.corebus.operator.bus.PluginTopics.Released;
import io.corebus.operator.bus.PluginTopics.TopicProblem;
import io.corebus.operator.bus.PluginTopics.Unavailable;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.metrics.PluginCensus;
import io.corebus.operator.model.HotSwapProgress;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PluginPods;
import io.corebus.operator.model.PluginRevision;
import io.corebus.operator.model.PodSetPlan;
import io.corebus.operator.model.PodSetPlan.Removal;
import io.corebus.operator.model.PodSetPlanner;
import io.corebus.operator.model.PodState;
import io.corebus.operator.model.ReplicaCount;
import io.corebus.operator.model.RequestLane;
import io.corebus.operator.rollout.CanaryPlan;
import io.corebus.operator.rollout.CanaryRollouts;
import io.corebus.operator.security.PluginSecurity;
import io.corebus.operator.status.PluginStatusAggregator;
import io.corebus.operator.status.PluginStatusAggregator.BusProblem;
import io.corebus.operator.status.PodFailure;
import io.corebus.operator.validation.PluginValidator;
import io.corebus.operator.validation.Validation;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The Core System's control loop for {@link Plugin}s. Each reconcile, from the informer caches:
 *
 * <ol>
 *   <li>validates the Plugin against the operator's settings and the other Plugins of its namespace
 *       ({@link PluginValidator}); an invalid Plugin is reported Ready=False and its pods are
 *       frozen (none created, none deleted: a bad edit never takes a running plug-in down; this
 *       includes the newer of two providers of one service);
 *   <li>ensures the plug-in's Kafka topics ({@link PluginTopics}); when Kafka is unreachable the
 *       pods are still managed, the Plugin is Degraded (KafkaUnavailable) and the reconcile comes
 *       back after a back-off instead of failing;
 *   <li>ensures the ConfigMap, Service and PodDisruptionBudget ({@link OwnedObjects});
 *   <li>plans the next pod step ({@link PodSetPlanner}) from the pods as they are, counting its own
 *       unobserved writes ({@link PodExpectations}), and executes it;
 *   <li>hands the services' desired routes to the route table ({@link PluginRoutes}) once the
 *       topics exist;
 *   <li>builds the status ({@link PluginStatusAggregator}) and patches it only if it changed.
 * </ol>
 *
 * Progress is event-driven: pod, Service, ConfigMap and PodDisruptionBudget informers (filtered on
 * the managed-by label) map changes to the owning Plugin, and a second Plugin informer maps a
 * Plugin's creation, spec change or deletion to the other Plugins of its namespace (for duplicate
 * providers and unresolved requires). {@code rescheduleAfter} is only a backstop while pods are
 * still changing. A reconcile with nothing to change makes no write call at all.
 *
 * <p>On delete ({@link #cleanup}) the routes are withdrawn and the pods go first; once none is
 * left, the Service, ConfigMap and PodDisruptionBudget are deleted, the topics only this plug-in
 * used are deleted once drained ({@link PluginTopics#release}), and the finalizer removed. Waiting
 * (for pods, for a drain, for Kafka) is done by rescheduling, never on the reconcile thread.
 */
@ControllerConfiguration(
    name = PluginReconciler.NAME,
    finalizerName = PluginReconciler.FINALIZER,
    maxReconciliationInterval =
        @MaxReconciliationInterval(interval = 10, timeUnit = TimeUnit.MINUTES))
public class PluginReconciler implements Reconciler<Plugin>, Cleaner<Plugin> {
  private static final Logger LOG = Logger.getLogger(PluginReconciler.class);

  /** Controller name: {@code quarkus.operator-sdk.controllers.plugin.*} configures it. */
  public static final String NAME = "plugin";

  public static final String FINALIZER = "corebus.io/cleanup";

  static final String PODS = "pods";
  static final String SERVICES = "services";
  static final String CONFIG_MAPS = "configmaps";
  static final String BUDGETS = "poddisruptionbudgets";
  static final String PEERS = "peer-plugins";
  static final String SECRETS = "secrets";

  /** While a deleted Plugin's pods are terminating, look again at least this often. */
  static final Duration CLEANUP_RECHECK = Duration.ofSeconds(5);

  /** While a hot swap is not complete, look at the pods' telemetry at least this often. */
  static final Duration HOT_SWAP_RECHECK = Duration.ofSeconds(2);

  private final OperatorSettings settings;
  private final PluginCensus census;
  private final PluginTopics topics;
  private final PluginRoutes routes;
  private final Clock clock;
  private final PodExpectations expectations;
  private final PluginEvents events;
  private final PluginScaler scaler;
  private final PluginControl control;

  /** What {@link PluginControl#publish} last accepted, per HotSwap Plugin. */
  private final Map<String, DesiredArtifact> publishedControl = new ConcurrentHashMap<>();

  private final CanaryRollouts canaries;
  private final PluginSecurity security;

  /** What {@link PluginRoutes#publish} last accepted, per Plugin: only changes are handed over. */
  private final Map<String, List<ServiceRoute>> publishedRoutes = new ConcurrentHashMap<>();

  /** Deleted Plugins whose cleanup already reported that Kafka is unavailable (one event). */
  private final Set<String> releaseWaitReported = ConcurrentHashMap.newKeySet();

  @Inject
  public PluginReconciler(
      OperatorSettings settings,
      PluginCensus census,
      PluginTopics topics,
      PluginRoutes routes,
      PluginScaler scaler,
      PluginControl control,
      PluginSecurity security) {
    this(settings, census, topics, routes, scaler, control, security, Clock.systemUTC());
  }

  /**
   * Pods and owned objects only: no telemetry (autoscaled Plugins hold their count and say why), no
   * hot swap, an unsecured bus.
   */
  public PluginReconciler(
      OperatorSettings settings, PluginCensus census, PluginTopics topics, PluginRoutes routes) {
    this(
        settings,
        census,
        topics,
        routes,
        PluginScaler.withoutTelemetry(Clock.systemUTC()),
        PluginControl.NONE,
        PluginSecurity.OFF,
        Clock.systemUTC());
  }

  public PluginReconciler(
      OperatorSettings settings,
      PluginCensus census,
      PluginTopics topics,
      PluginRoutes routes,
      PluginScaler scaler,
      PluginControl control,
      PluginSecurity security,
      Clock clock) {
    this.scaler = scaler;
    this.control = control;
    this.security = security;
    this.settings = settings;
    this.census = census;
    this.topics = topics;
    this.routes = routes;
    this.clock = clock;
    this.expectations = new PodExpectations(clock);
    this.events = new PluginEvents(clock);
    this.canaries = new CanaryRollouts(scaler.telemetry(), scaler.backlog(), clock);
  }

  @Override
  public List<EventSource<?, Plugin>> prepareEventSources(EventSourceContext<Plugin> context) {
    List<EventSource<?, Plugin>> sources = new ArrayList<>();
    sources.add(owned(context, Pod.class, PODS));
    sources.add(owned(context, Service.class, SERVICES));
    sources.add(owned(context, ConfigMap.class, CONFIG_MAPS));
    sources.add(owned(context, PodDisruptionBudget.class, BUDGETS));
    if (security.enabled()) {
      sources.add(owned(context, Secret.class, SECRETS));
    }
    sources.add(
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Plugin.class, Plugin.class)
                .withName(PEERS)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(
                    (Plugin peer) -> otherPluginsInNamespace(context, peer))
                // Another Plugin matters when it appears, goes, or changes its spec (what it
                // provides and requires); its status updates do not.
                .withOnUpdateFilter(
                    (Plugin newer, Plugin older) ->
                        !Objects.equals(
                                newer.getMetadata().getGeneration(),
                                older.getMetadata().getGeneration())
                            || !Objects.equals(
                                newer.getMetadata().getDeletionTimestamp(),
                                older.getMetadata().getDeletionTimestamp()))
                .build(),
            context));
    return sources;
  }

  private static <R extends HasMetadata> InformerEventSource<R, Plugin> owned(
      EventSourceContext<Plugin> context, Class<R> type, String name) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(type, Plugin.class)
            .withName(name)
            .withNamespacesInheritedFromController()
            .withLabelSelector(PluginNames.MANAGED_BY_SELECTOR)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Plugin.class))
            .build(),
        context);
  }

  private static Set<ResourceID> otherPluginsInNamespace(
      EventSourceContext<Plugin> context, Plugin peer) {
    String ns = peer.getMetadata().getNamespace();
    return context
        .getPrimaryCache()
        .list(ns)
        .filter(p -> !p.getMetadata().getName().equals(peer.getMetadata().getName()))
        .map(ResourceID::fromResource)
        .collect(Collectors.toSet());
  }

  @Override
  public UpdateControl<Plugin> reconcile(Plugin plugin, Context<Plugin> context) {
    String key = key(plugin);
    PluginSpec spec = plugin.getSpec();
    KubernetesClient client = context.getClient();

    // The peer informer's cache, not the primary cache: when a peer's event wakes this Plugin
    // up, that cache already holds the peer.
    List<Plugin> namespacePlugins =
        peers(context).list(plugin.getMetadata().getNamespace()).toList();
    Validation validation = PluginValidator.validate(plugin, namespacePlugins, settings);
    ReplicaCount count = ReplicaCount.of(spec);
    String revision = PluginRevision.of(spec, settings, security.revisionInput());
    List<Pod> cached = List.copyOf(context.getSecondaryResources(Pod.class));
    List<Pod> pods = expectations.view(key, cached);

    PodSetPlan plan;
    BusProblem busProblem = null;
    Duration retry = null;
    Scaling scaling = null;
    boolean hotSwaps = PluginRevision.hotSwaps(spec);
    HotSwapProgress hotSwap = null;
    CanaryRollouts.Step canary = null;
    if (validation.valid()) {
      // The autoscaler (or replicas.desired) decides the count; see PluginScaler.
      scaling = scaler.evaluate(plugin, count, pods);
      count = count.withDesired(scaling.desired());
      retry = scaling.recheckAfter();
      // Topics first, so new runtimes find them; a Kafka outage does not stop the pods.
      EnsureReport bus = topics.ensure(plugin, namespacePlugins, podNames(cached, pods));
      if (bus instanceof Unavailable u) {
        busProblem =
            new BusProblem(
                PluginStatusAggregator.KAFKA_UNAVAILABLE,
                u.error() + "; pods are managed as usual, topics are checked when Kafka answers");
        retry = shorter(retry, u.retryAfter());
      } else if (bus instanceof Checked checked) {
        recordTopicChanges(plugin, checked, client);
        forgetRoutesOfANewTable(plugin, checked);
        forgetControlOfANewTopic(plugin, checked);
        if (!checked.problems().isEmpty()) {
          busProblem = topicProblem(checked);
          retry = shorter(retry, settings.rolloutRecheck());
        }
      }
      if (security.enabled()) {
        // Before the pods: they mount the Secret, and log in as the user it names.
        try {
          security.ensure(
              plugin,
              namespacePlugins,
              context.getSecondaryResource(Secret.class).orElse(null),
              client);
        } catch (KafkaUnavailableException e) {
          if (busProblem == null) {
            busProblem =
                new BusProblem(
                    PluginStatusAggregator.KAFKA_UNAVAILABLE,
                    "the plug-in's Kafka user and ACLs are not in place: " + e.getMessage());
          }
          retry = shorter(retry, e.retryAfter());
        }
      }
      OwnedObjects.ensure(
          plugin,
          client,
          context.getSecondaryResource(ConfigMap.class),
          context.getSecondaryResource(Service.class),
          context.getSecondaryResource(PodDisruptionBudget.class),
          count.wantsDisruptionBudget());
      if (hotSwaps && bus instanceof Checked checked && checked.allExist()) {
        // Before any pod is created: a new pod reads the control topic up to its end at start.
        String failure = publishControl(plugin, client);
        if (failure != null && busProblem == null) {
          busProblem = new BusProblem(PluginStatusAggregator.CONTROL_NOT_PUBLISHED, failure);
          retry = shorter(retry, CLEANUP_RECHECK);
        }
      }
      // A Canary plug-in between two revisions is run by its canary (pods, weights, lanes).
      canary = canaries.evaluate(plugin, revision, count.desired(), pods);
      List<DesiredRoutes.Share> shares = null;
      if (canary.active()) {
        plan =
            new PodSetPlan(
                List.of(),
                List.of(),
                canary.progressingTrue() ? PodSetPlan.Phase.ROLLING : PodSetPlan.Phase.STABLE,
                List.of());
        pods = executeCanary(plugin, pods, canary.plan(), client);
        shares = routeShares(canary.plan());
        if (canary.recheck() != null) {
          retry = shorter(retry, canary.recheck());
        }
      } else {
        plan = PodSetPlanner.plan(pods, count.desired(), revision);
        pods = execute(plugin, revision, count, pods, plan, client);
      }
      recordCanary(plugin, canary, client);
      if (hotSwaps) {
        hotSwap =
            HotSwapProgress.of(
                plugin,
                revision,
                pods,
                scaler
                    .telemetry()
                    .latestReports(
                        plugin.getMetadata().getNamespace(), plugin.getMetadata().getName()));
        if (!hotSwap.complete()) {
          // Telemetry does not wake the reconciler up: look again until every pod runs it (after
          // a failure, until a new version is asked for or the failed pods are replaced). Often:
          // a swap takes well under a second, and a reconcile that changes nothing writes nothing.
          retry = shorter(retry, shorter(settings.rolloutRecheck(), HOT_SWAP_RECHECK));
        }
      }
      if (bus instanceof Checked checked && checked.allExist()) {
        String failure = publishRoutes(plugin, revision, pods, count.min() == 0, shares, hotSwap);
        if (failure != null && busProblem == null) {
          busProblem = new BusProblem(PluginStatusAggregator.ROUTES_NOT_PUBLISHED, failure);
          retry = shorter(retry, CLEANUP_RECHECK);
        }
      }
    } else {
      plan = new PodSetPlan(List.of(), List.of(), PodSetPlan.Phase.STABLE, List.of());
    }

    PluginStatusAggregator aggregator =
        PluginStatusAggregator.of(plugin, clock.instant())
            .note(count.note())
            .bus(busProblem)
            .autoscaling(scaling)
            .hotSwap(hotSwap)
            .observe(validation, count, revision, pods, plan);
    if (canary != null) {
      aggregator.canary(
          canary.status(),
          canary.active() ? canary.progressingTrue() : null,
          canary.reason(),
          canary.message(),
          canary.active() ? weightsOf(canary.plan()) : Map.of(),
          canary.active() ? canary.plan().roles() : Map.of());
    }
    PluginStatus next = aggregator.build();
    recordTransitions(plugin, next, validation, client);
    census.record(key, Condition.TRUE.equals(next.condition(Condition.READY).getStatus()));

    if (!Objects.equals(plugin.getStatus(), next)) {
      writeStatus(plugin, context, next);
    }
    UpdateControl<Plugin> control = UpdateControl.noUpdate();
    if (validation.valid() && plan.phase() != PodSetPlan.Phase.STABLE) {
      // Pod events drive the rollout; this only guards against a lost event.
      retry = shorter(retry, settings.rolloutRecheck());
    }
    if (retry != null) {
      // A Kafka outage comes back here after its back-off: no exception, so JOSDK's own retry
      // (which would hammer the broker) is never involved.
      control.rescheduleAfter(Math.max(retry.toMillis(), 100));
    }
    return control;
  }

  private static Duration shorter(Duration a, Duration b) {
    return a == null || b.compareTo(a) < 0 ? b : a;
  }

  /**
   * Every pod that exists or is expected, terminating ones included (they still use their slot).
   */
  private static Set<String> podNames(List<Pod> cached, List<Pod> view) {
    Set<String> names = new LinkedHashSet<>();
    cached.forEach(p -> names.add(p.getMetadata().getName()));
    view.forEach(p -> names.add(p.getMetadata().getName()));
    return names;
  }

  private static BusProblem topicProblem(Checked checked) {
    boolean notCreated =
        checked.problems().stream().anyMatch(p -> p.kind() == TopicProblem.Kind.NOT_CREATED);
    return new BusProblem(
        notCreated
            ? PluginStatusAggregator.TOPICS_NOT_CREATED
            : PluginStatusAggregator.TOPIC_CONFLICT,
        checked.problems().stream().map(TopicProblem::message).collect(Collectors.joining("; ")));
  }

  private void recordTopicChanges(Plugin plugin, Checked checked, KubernetesClient client) {
    if (!checked.created().isEmpty()) {
      events.normal(
          client,
          plugin,
          PluginEvents.TOPICS_CREATED,
          "Created Kafka topics " + String.join(", ", checked.created()));
    }
    if (!checked.grown().isEmpty()) {
      events.normal(
          client,
          plugin,
          PluginEvents.PARTITIONS_RAISED,
          "Raised partitions of " + String.join(", ", checked.grown()));
    }
    if (!checked.deletedReplySlots().isEmpty()) {
      LOG.infof(
          "%s: deleted the reply slots of vanished pods: %s",
          key(plugin), checked.deletedReplySlots());
    }
  }

  /**
   * A route-table topic created now is empty: whatever was published in the namespace before (a
   * topic deleted with the namespace's last Plugin, or by hand) is published again, by this Plugin
   * now and by the others on their next reconcile.
   */
  private void forgetRoutesOfANewTable(Plugin plugin, Checked checked) {
    String ns = plugin.getMetadata().getNamespace();
    if (createdNow(checked, BusTopics.forNamespace(ns).routes())) {
      routes.tableCreated(ns);
      publishedRoutes.keySet().removeIf(k -> k.startsWith(ns + "/"));
    }
  }

  /**
   * A control topic created now is empty (the namespace's last Plugin took the old one with it
   * while this one was being created): the namespace's HotSwap Plugins publish their records again.
   */
  private void forgetControlOfANewTopic(Plugin plugin, Checked checked) {
    String ns = plugin.getMetadata().getNamespace();
    if (createdNow(checked, BusTopics.forNamespace(ns).control())) {
      publishedControl.keySet().removeIf(k -> k.startsWith(ns + "/"));
    }
  }

  /** Whether this check created {@code topic}; created() lists "<topic> (<n> partitions)". */
  private static boolean createdNow(Checked checked, String topic) {
    return checked.created().stream().anyMatch(t -> t.equals(topic) || t.startsWith(topic + " "));
  }

  /** Hands changed routes to the route table; returns why that failed, or null. */
  private String publishRoutes(
      Plugin plugin,
      String revision,
      List<Pod> pods,
      boolean parkOnTopic,
      List<DesiredRoutes.Share> shares,
      HotSwapProgress hotSwap) {
    String key = key(plugin);
    try {
      List<ServiceRoute> desired = DesiredRoutes.of(plugin, revision, pods, parkOnTopic, shares);
      if (hotSwap != null) {
        desired = withVersion(desired, revision, hotSwap.servingVersion());
      }
      if (desired.equals(publishedRoutes.get(key))) {
        return null;
      }
      routes.publish(plugin, desired);
      publishedRoutes.put(key, desired);
      return null;
    } catch (RuntimeException e) {
      LOG.warnf(e, "%s: publishing routes failed", key);
      return "routes not published: " + (e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /**
   * Routes whose current-revision versions carry {@code version}: after a hot swap the pods of a
   * revision run another version than their labels say, and callers see it once all of them do.
   */
  private static List<ServiceRoute> withVersion(
      List<ServiceRoute> routes, String revision, String version) {
    List<ServiceRoute> out = new ArrayList<>();
    for (ServiceRoute r : routes) {
      List<VersionRoute> versions = new ArrayList<>();
      for (VersionRoute v : r.versions()) {
        versions.add(
            revision.equals(v.revision())
                ? new VersionRoute(
                    v.plugin(),
                    version,
                    v.revision(),
                    v.weight(),
                    v.topic(),
                    v.endpoints(),
                    v.ready())
                : v);
      }
      out.add(new ServiceRoute(r.service(), r.transport(), r.allowedCallers(), versions));
    }
    return out;
  }

  /**
   * Hands a HotSwap Plugin's desired jar to its runtimes when it changed; returns why that failed,
   * or null.
   */
  private String publishControl(Plugin plugin, KubernetesClient client) {
    String key = key(plugin);
    DesiredArtifact desired = HotSwapProgress.desired(plugin);
    DesiredArtifact before = publishedControl.get(key);
    if (desired.sameArtifact(before)) {
      return null;
    }
    try {
      control.publish(plugin.getMetadata().getNamespace(), desired);
    } catch (RuntimeException e) {
      LOG.warnf(e, "%s: publishing the control record failed", key);
      return "hot swap to version "
          + desired.version()
          + " not requested: "
          + (e.getMessage() == null ? e.toString() : e.getMessage());
    }
    publishedControl.put(key, desired);
    events.normal(
        client,
        plugin,
        PluginEvents.HOT_SWAP_REQUESTED,
        "Asked the running pods to load version "
            + desired.version()
            + " in place ("
            + desired.jarUrl()
            + ", generation "
            + desired.generation()
            + ")");
    return null;
  }

  private static InformerEventSource<Plugin, Plugin> peers(Context<Plugin> context) {
    return (InformerEventSource<Plugin, Plugin>)
        context.eventSourceRetriever().<Plugin>getEventSourceFor(Plugin.class, PEERS);
  }

  /** Deletes, then creates, as planned; returns the pods as they are afterwards. */
  private List<Pod> execute(
      Plugin plugin,
      String revision,
      ReplicaCount count,
      List<Pod> pods,
      PodSetPlan plan,
      KubernetesClient client) {
    String key = key(plugin);
    String ns = plugin.getMetadata().getNamespace();
    List<Pod> after = new ArrayList<>(pods);
    for (Removal removal : plan.delete()) {
      Pod pod = removal.pod();
      String name = pod.getMetadata().getName();
      client.pods().inNamespace(ns).withName(name).delete();
      expectations.deleted(key, pod);
      after.removeIf(p -> p.getMetadata().getName().equals(name));
      switch (removal.why()) {
        case FINISHED ->
            events.warning(
                client,
                plugin,
                PluginEvents.POD_FAILED,
                "Pod "
                    + name
                    + " is "
                    + pod.getStatus().getPhase()
                    + "; deleted it, ordinal "
                    + PodState.ordinal(pod)
                    + " is created again");
        case SURPLUS ->
            events.normal(
                client,
                plugin,
                PluginEvents.POD_DELETED,
                "Deleted pod " + name + ": " + count.desired() + " pod(s) desired");
        case REPLACED ->
            events.normal(
                client,
                plugin,
                PluginEvents.POD_REPLACED,
                "Deleted pod "
                    + name
                    + " of revision "
                    + PodState.revision(pod)
                    + ": revision "
                    + revision
                    + " has taken its place");
      }
    }
    boolean rolloutStarts =
        plan.phase() == PodSetPlan.Phase.ROLLING
            && !plan.create().isEmpty()
            && pods.stream().noneMatch(p -> revision.equals(PodState.revision(p)));
    if (rolloutStarts) {
      events.normal(
          client,
          plugin,
          PluginEvents.ROLLOUT_STARTED,
          "Rolling out revision "
              + revision
              + " (version "
              + plugin.getSpec().getVersion()
              + ") one pod at a time");
    }
    // New pods consume the request lane their revision (or the plug-in) already uses.
    RequestLane lane = RequestLane.forNewPods(revision, pods);
    for (int ordinal : plan.create()) {
      Pod desired =
          security.mount(
              lane.apply(PluginPods.desired(plugin, revision, ordinal, settings), plugin), plugin);
      Pod created = Creations.create(client, desired, plugin.getMetadata().getUid());
      expectations.created(key, created);
      after.add(created);
      events.normal(
          client,
          plugin,
          PluginEvents.POD_CREATED,
          "Created pod "
              + created.getMetadata().getName()
              + " (version "
              + plugin.getSpec().getVersion()
              + ", revision "
              + revision
              + ")");
    }
    return after;
  }

  /** Runs a canary's pod step: deletions, then creations; returns the pods as they are after. */
  private List<Pod> executeCanary(
      Plugin plugin, List<Pod> pods, CanaryPlan.Result plan, KubernetesClient client) {
    String key = key(plugin);
    String ns = plugin.getMetadata().getNamespace();
    List<Pod> after = new ArrayList<>(pods);
    for (Pod pod : plan.delete()) {
      String name = pod.getMetadata().getName();
      client.pods().inNamespace(ns).withName(name).delete();
      expectations.deleted(key, pod);
      after.removeIf(p -> p.getMetadata().getName().equals(name));
      events.normal(
          client,
          plugin,
          PodState.isFinished(pod) ? PluginEvents.POD_FAILED : PluginEvents.POD_DELETED,
          "Deleted pod "
              + name
              + " of revision "
              + PodState.revision(pod)
              + " ("
              + plan.roles().getOrDefault(PodState.revision(pod), "failed")
              + ")");
    }
    for (CanaryPlan.NewPod n : plan.create()) {
      Pod desired =
          n.template() == null
              ? security.mount(
                  PluginPods.desired(plugin, n.revision(), n.ordinal(), settings), plugin)
              // a copy of a stable pod carries its credentials mount already
              : CanaryPlan.copy(
                  n.template(), plugin.getMetadata().getName(), n.revision(), n.ordinal());
      Pod created =
          Creations.create(client, n.lane().apply(desired, plugin), plugin.getMetadata().getUid());
      expectations.created(key, created);
      after.add(created);
      events.normal(
          client,
          plugin,
          PluginEvents.POD_CREATED,
          "Created pod "
              + created.getMetadata().getName()
              + " (revision "
              + n.revision()
              + ", "
              + plan.roles().get(n.revision())
              + ", request lane "
              + n.lane()
              + ")");
    }
    return after;
  }

  private void recordCanary(Plugin plugin, CanaryRollouts.Step canary, KubernetesClient client) {
    for (CanaryRollouts.Notice notice : canary.notices()) {
      if (notice.warning()) {
        events.warning(client, plugin, notice.reason(), notice.message());
      } else {
        events.normal(client, plugin, notice.reason(), notice.message());
      }
    }
  }

  private static List<DesiredRoutes.Share> routeShares(CanaryPlan.Result plan) {
    return plan.shares().stream()
        .map(s -> new DesiredRoutes.Share(s.revision(), s.version(), s.weight(), s.lane()))
        .toList();
  }

  private static Map<String, Integer> weightsOf(CanaryPlan.Result plan) {
    Map<String, Integer> weights = new java.util.HashMap<>();
    plan.shares().forEach(s -> weights.put(s.revision(), s.weight()));
    return weights;
  }

  /** Events for status changes people care about: a rollout ending, the Plugin turning invalid. */
  private void recordTransitions(
      Plugin plugin, PluginStatus next, Validation validation, KubernetesClient client) {
    PluginStatus before = plugin.getStatus();
    Condition progressingBefore = before == null ? null : before.condition(Condition.PROGRESSING);
    Condition progressing = next.condition(Condition.PROGRESSING);
    if (progressingBefore != null
        && PluginStatusAggregator.ROLLING_UPDATE.equals(progressingBefore.getReason())
        && PluginStatusAggregator.COMPLETE.equals(progressing.getReason())) {
      events.normal(
          client,
          plugin,
          PluginEvents.ROLLOUT_FINISHED,
          "Rollout finished: " + progressing.getMessage());
    }
    if (progressingBefore != null
        && (PluginStatusAggregator.HOT_SWAP.equals(progressingBefore.getReason())
            || PluginStatusAggregator.HOT_SWAP_FAILED.equals(progressingBefore.getReason()))
        && PluginStatusAggregator.COMPLETE.equals(progressing.getReason())) {
      events.normal(
          client,
          plugin,
          PluginEvents.HOT_SWAP_FINISHED,
          "Hot swap finished: every Ready pod runs version " + plugin.getSpec().getVersion());
    }
    Condition degradedBefore = before == null ? null : before.condition(Condition.DEGRADED);
    Condition degraded = next.condition(Condition.DEGRADED);
    String reasonBefore = degradedBefore == null ? null : degradedBefore.getReason();
    if (!Objects.equals(reasonBefore, degraded.getReason())) {
      String reason = degraded.getReason();
      if (PluginStatusAggregator.KAFKA_UNAVAILABLE.equals(reason)) {
        events.warning(client, plugin, PluginEvents.KAFKA_UNAVAILABLE, degraded.getMessage());
      } else if (PluginStatusAggregator.TOPIC_CONFLICT.equals(reason)
          || PluginStatusAggregator.TOPICS_NOT_CREATED.equals(reason)) {
        events.warning(client, plugin, PluginEvents.TOPIC_PROBLEM, degraded.getMessage());
      } else if (PluginStatusAggregator.HOT_SWAP_FAILED.equals(reason)) {
        events.warning(client, plugin, PluginEvents.HOT_SWAP_FAILED, degraded.getMessage());
      } else if (PluginStatusAggregator.ROUTES_NOT_PUBLISHED.equals(reason)) {
        events.warning(client, plugin, PluginEvents.ROUTES_NOT_PUBLISHED, degraded.getMessage());
      } else if (reason != null && PodFailure.REASONS.contains(reason)) {
        // Once when pods start failing (or fail differently), not on every restart.
        events.warning(client, plugin, reason, degraded.getMessage());
      }
      if (reasonBefore != null
          && PodFailure.REASONS.contains(reasonBefore)
          && !PodFailure.REASONS.contains(reason)) {
        events.normal(
            client,
            plugin,
            PluginEvents.PODS_RECOVERED,
            "No pod fails any more: " + degraded.getMessage());
      }
      if (PluginStatusAggregator.KAFKA_UNAVAILABLE.equals(reasonBefore)
          && !PluginStatusAggregator.KAFKA_UNAVAILABLE.equals(reason)) {
        events.normal(
            client, plugin, PluginEvents.KAFKA_AVAILABLE, "Kafka answers again; topics checked");
      }
    }
    Condition readyBefore = before == null ? null : before.condition(Condition.READY);
    Condition ready = next.condition(Condition.READY);
    if (!validation.valid()
        && (readyBefore == null
            || !Objects.equals(readyBefore.getReason(), ready.getReason())
            || !Objects.equals(readyBefore.getMessage(), ready.getMessage()))) {
      events.warning(client, plugin, PluginEvents.VALIDATION_FAILED, ready.getMessage());
    }
  }

  @Override
  public ErrorStatusUpdateControl<Plugin> updateErrorStatus(
      Plugin plugin, Context<Plugin> context, Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    PluginStatus next =
        PluginStatusAggregator.of(plugin, clock.instant()).reconcileFailed(message).build();
    if (Objects.equals(plugin.getStatus(), next)) {
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    events.warning(context.getClient(), plugin, PluginEvents.RECONCILE_FAILED, message);
    try {
      writeStatus(plugin, context, next);
    } catch (RuntimeException statusError) {
      LOG.debugf(statusError, "%s: could not record the failure in status", key(plugin));
    }
    return ErrorStatusUpdateControl.noStatusUpdate();
  }

  /**
   * Writes the whole status with one JSON Patch {@code add /status} on the status subresource (an
   * "add" replaces an existing member, so it works whether or not a status is stored yet; JOSDK's
   * diff-based patch fails on a Plugin stored without status, and a merge patch would merge the
   * condition lists on the mock API server). The result goes into the operator's cache so the next
   * reconcile compares against what was just written.
   */
  private static void writeStatus(Plugin plugin, Context<Plugin> context, PluginStatus next) {
    KubernetesClient client = context.getClient();
    String patch =
        "[{\"op\":\"add\",\"path\":\"/status\",\"value\":"
            + client.getKubernetesSerialization().asJson(next)
            + "}]";
    Plugin updated =
        client
            .resources(Plugin.class)
            .inNamespace(plugin.getMetadata().getNamespace())
            .withName(plugin.getMetadata().getName())
            .subresource("status")
            .patch(PatchContext.of(PatchType.JSON), patch);
    context
        .eventSourceRetriever()
        .getControllerEventSource()
        .handleRecentResourceUpdate(ResourceID.fromResource(plugin), updated, plugin);
  }

  @Override
  public DeleteControl cleanup(Plugin plugin, Context<Plugin> context) {
    String key = key(plugin);
    String ns = plugin.getMetadata().getNamespace();
    KubernetesClient client = context.getClient();

    // Callers stop being sent here before the pods stop.
    try {
      routes.withdraw(plugin, providedServices(plugin));
    } catch (RuntimeException e) {
      LOG.warnf(e, "%s: withdrawing routes failed; retrying", key);
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(CLEANUP_RECHECK.toMillis());
    }
    publishedRoutes.remove(key);
    if (publishedControl.containsKey(key)) {
      // Best effort: a record left behind is overwritten before a Plugin of that name gets pods.
      try {
        control.withdraw(ns, plugin.getMetadata().getName());
        publishedControl.remove(key);
      } catch (RuntimeException e) {
        LOG.warnf("%s: removing the control record failed (left for compaction): %s", key, e);
      }
    }

    // Read from the API server, not the cache: nothing may be left behind.
    List<Pod> pods =
        client
            .pods()
            .inNamespace(ns)
            .withLabels(PluginNames.selectorLabels(plugin))
            .list()
            .getItems();
    if (!pods.isEmpty()) {
      for (Pod pod : pods) {
        if (!PodState.isTerminating(pod)) {
          client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).delete();
        }
      }
      LOG.infof("%s: waiting for %d pod(s) to go before releasing the Plugin", key, pods.size());
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(CLEANUP_RECHECK.toMillis());
    }
    client.services().inNamespace(ns).withName(PluginNames.service(plugin)).delete();
    client
        .policy()
        .v1()
        .podDisruptionBudget()
        .inNamespace(ns)
        .withName(PluginNames.podDisruptionBudget(plugin))
        .delete();
    client.configMaps().inNamespace(ns).withName(PluginNames.configMap(plugin)).delete();
    List<Plugin> remaining = remainingPeers(context, plugin);
    try {
      security.release(plugin, remaining.isEmpty(), client);
    } catch (KafkaUnavailableException e) {
      LOG.warnf("%s: cannot remove the plug-in's Kafka user and ACLs yet: %s", key, e.getMessage());
      return DeleteControl.noFinalizerRemoval()
          .rescheduleAfter(Math.max(e.retryAfter().toMillis(), 100));
    }

    ReleaseReport released = topics.release(plugin, remaining);
    if (released instanceof Draining d) {
      if (d.firstTime()) {
        events.normal(client, plugin, PluginEvents.WAITING_FOR_DRAIN, d.why());
      }
      return DeleteControl.noFinalizerRemoval().rescheduleAfter(d.retryAfter().toMillis());
    }
    if (released instanceof Unavailable u) {
      // Topics are not orphaned: the Plugin stays until Kafka answers (removing the finalizer
      // by hand skips this).
      if (releaseWaitReported.add(key)) {
        events.warning(
            client,
            plugin,
            PluginEvents.KAFKA_UNAVAILABLE,
            "Cannot delete the plug-in's topics yet: "
                + u.error()
                + "; retrying (remove finalizer "
                + FINALIZER
                + " to leave them behind)");
      }
      return DeleteControl.noFinalizerRemoval()
          .rescheduleAfter(Math.max(u.retryAfter().toMillis(), 100));
    }
    if (released instanceof Released r) {
      if (!r.deleted().isEmpty()) {
        events.normal(
            client,
            plugin,
            PluginEvents.TOPICS_DELETED,
            "Deleted Kafka topics " + String.join(", ", r.deleted()));
      }
      if (r.warning() != null) {
        events.warning(client, plugin, PluginEvents.TOPICS_DELETED_UNDRAINED, r.warning());
      }
    }
    releaseWaitReported.remove(key);
    scaler.forget(plugin);
    publishedControl.remove(key);
    canaries.forget(plugin);
    expectations.forget(key);
    census.forget(key);
    LOG.infof("%s: cleaned up", key);
    return DeleteControl.defaultDelete();
  }

  /** The namespace's other Plugins that stay: they keep shared topics alive. */
  private static List<Plugin> remainingPeers(Context<Plugin> context, Plugin plugin) {
    return peers(context)
        .list(plugin.getMetadata().getNamespace())
        .filter(p -> !p.getMetadata().getName().equals(plugin.getMetadata().getName()))
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .toList();
  }

  private static List<String> providedServices(Plugin plugin) {
    return plugin.getSpec() == null || plugin.getSpec().getProvides() == null
        ? List.of()
        : plugin.getSpec().getProvides().stream()
            .map(io.corebus.crds.ProvidedService::getService)
            .filter(Objects::nonNull)
            .toList();
  }

  private static String key(Plugin plugin) {
    return plugin.getMetadata().getNamespace() + "/" + plugin.getMetadata().getName();
  }
}
