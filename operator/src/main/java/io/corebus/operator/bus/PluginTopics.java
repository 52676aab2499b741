package io.corebus.operator.bus;

import io.corebus.crds.Plugin;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The Kafka topics the core owns for plug-ins. The reconciler calls {@link #ensure} on every
 * reconcile of a valid Plugin, and {@link #release} when a Plugin is deleted, after its pods are
 * gone and before the finalizer is released. Neither throws for a Kafka problem: the report says
 * what happened and when to look again.
 */
public interface PluginTopics {

  /**
   * Creates the Plugin's missing topics, raises partition counts that are too low, reports topics
   * whose configuration conflicts with what the core needs, and deletes the reply slots of the
   * plug-in's pods that no longer exist.
   *
   * @param namespacePlugins the namespace's Plugins (event topics are sized by their subscribers)
   * @param podNames the plug-in's pods that exist, terminating ones included (their runtimes still
   *     drain through their reply slots)
   */
  EnsureReport ensure(Plugin plugin, Collection<Plugin> namespacePlugins, Set<String> podNames);

  /**
   * Deletes what only this Plugin used (see {@link TopicPlan#leftovers}) and its pods' reply slots,
   * once its request topics are drained or the drain timeout passed.
   *
   * @param remaining the namespace's other Plugins that are not being deleted
   */
  ReleaseReport release(Plugin plugin, Collection<Plugin> remaining);

  /** What {@link #ensure} found and did. */
  sealed interface EnsureReport {}

  /**
   * Kafka answered.
   *
   * @param created topics created now, with their partition counts, for an event
   * @param grown partition increases made now, for an event
   * @param problems topics that are not as the core needs them (reported, never deleted)
   * @param deletedReplySlots reply slots of vanished pods deleted now
   */
  record Checked(
      List<String> created,
      List<String> grown,
      List<TopicProblem> problems,
      List<String> deletedReplySlots)
      implements EnsureReport {
    public static final Checked NOTHING = new Checked(List.of(), List.of(), List.of(), List.of());

    public Checked {
      created = List.copyOf(created);
      grown = List.copyOf(grown);
      problems = List.copyOf(problems);
      deletedReplySlots = List.copyOf(deletedReplySlots);
    }

    /** Every desired topic exists (maybe with a conflicting config), so routes may be published. */
    public boolean allExist() {
      return problems.stream().noneMatch(p -> p.kind() == TopicProblem.Kind.NOT_CREATED);
    }
  }

  /**
   * Kafka could not be used.
   *
   * @param error what went wrong, for the condition
   * @param retryAfter when to try again
   */
  record Unavailable(String error, Duration retryAfter) implements EnsureReport, ReleaseReport {}

  /**
   * A topic that is not as the core needs it.
   *
   * @param topic the topic
   * @param kind a conflict (the topic exists, configured otherwise) or a failed creation
   * @param message what is wrong and what to do, for people
   */
  record TopicProblem(String topic, Kind kind, String message) {
    public enum Kind {
      CONFLICT,
      NOT_CREATED
    }
  }

  /** What {@link #release} did. */
  sealed interface ReleaseReport {}

  /**
   * The topics are gone (or could not be deleted and never will be: then {@code warning} says so).
   *
   * @param deleted topics deleted now
   * @param warning set when something was deleted undrained or left behind
   */
  record Released(List<String> deleted, String warning) implements ReleaseReport {
    public Released {
      deleted = List.copyOf(deleted);
    }
  }

  /**
   * The request topics still hold unprocessed requests; look again after {@code retryAfter}.
   *
   * @param firstTime true on the first such answer for this Plugin, for a single event
   */
  record Draining(String why, Duration retryAfter, boolean firstTime) implements ReleaseReport {}

  /** No Kafka configured: the core owns no topics, nothing to create or delete. */
  PluginTopics NONE =
      new PluginTopics() {
        @Override
        public EnsureReport ensure(
            Plugin plugin, Collection<Plugin> namespacePlugins, Set<String> podNames) {
          return Checked.NOTHING;
        }

        @Override
        public ReleaseReport release(Plugin plugin, Collection<Plugin> remaining) {
          return new Released(List.of(), null);
        }
      };
}
