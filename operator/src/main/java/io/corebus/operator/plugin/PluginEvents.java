package io.corebus.operator.plugin;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events (core/v1) for the operator's decisions, shown by {@code kubectl describe
 * plugin}. Recorded only when something happens, never on a reconcile that changes nothing. A
 * failure to record is logged and otherwise ignored: events are for people, not for convergence.
 */
public final class PluginEvents {
  private static final Logger LOG = Logger.getLogger(PluginEvents.class);
  public static final String COMPONENT = "corebus-operator";

  public static final String POD_CREATED = "PodCreated";
  public static final String POD_DELETED = "PodDeleted";
  public static final String POD_REPLACED = "PodReplaced";
  public static final String POD_FAILED = "PodFailed";

  /**
   * Pods stopped failing (see PodFailure: the Warning events for failing pods carry its reasons).
   */
  public static final String PODS_RECOVERED = "PodsRecovered";

  public static final String ROLLOUT_STARTED = "RolloutStarted";
  public static final String ROLLOUT_FINISHED = "RolloutFinished";
  public static final String HOT_SWAP_REQUESTED = "HotSwapRequested";
  public static final String HOT_SWAP_FINISHED = "HotSwapFinished";
  public static final String HOT_SWAP_FAILED = "HotSwapFailed";
  public static final String VALIDATION_FAILED = "ValidationFailed";
  public static final String RECONCILE_FAILED = "ReconcileFailed";
  public static final String TOPICS_CREATED = "TopicsCreated";
  public static final String PARTITIONS_RAISED = "PartitionsRaised";
  public static final String KAFKA_UNAVAILABLE = "KafkaUnavailable";
  public static final String KAFKA_AVAILABLE = "KafkaAvailable";
  public static final String TOPIC_PROBLEM = "TopicProblem";
  public static final String ROUTES_NOT_PUBLISHED = "RoutesNotPublished";
  public static final String WAITING_FOR_DRAIN = "WaitingForDrain";
  public static final String TOPICS_DELETED = "TopicsDeleted";
  public static final String TOPICS_DELETED_UNDRAINED = "TopicsDeletedUndrained";

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Clock clock;
  private final String instance;

  public PluginEvents(Clock clock) {
    this.clock = clock;
    String host = System.getenv("HOSTNAME");
    this.instance = host == null ? COMPONENT : host;
  }

  public void normal(KubernetesClient client, Plugin plugin, String reason, String message) {
    record(client, plugin, "Normal", reason, message);
  }

  public void warning(KubernetesClient client, Plugin plugin, String reason, String message) {
    record(client, plugin, "Warning", reason, message);
  }

  private void record(
      KubernetesClient client, Plugin plugin, String type, String reason, String message) {
    String now =
        DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
    String ns = plugin.getMetadata().getNamespace();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                plugin.getMetadata().getName()
                    + "."
                    + Long.toHexString(clock.millis())
                    + Long.toHexString(SEQUENCE.incrementAndGet()))
            .withNamespace(ns)
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion(plugin.getApiVersion())
            .withKind(plugin.getKind())
            .withName(plugin.getMetadata().getName())
            .withNamespace(ns)
            .withUid(plugin.getMetadata().getUid())
            .endInvolvedObject()
            .withType(type)
            .withReason(reason)
            .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent("corebus.io/operator")
            .withReportingInstance(instance)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    try {
      client.v1().events().inNamespace(ns).resource(event).create();
    } catch (RuntimeException e) {
      LOG.debugf(
          e, "Could not record event %s for %s/%s", reason, ns, plugin.getMetadata().getName());
    }
    LOG.infof("%s/%s %s: %s", ns, plugin.getMetadata().getName(), reason, message);
  }
}
