package io.corebus.operator.telemetry;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * A plug-in's figures over the sliding window, as {@link PluginTelemetry} computed them at {@code
 * at}: the plug-in's totals, each version's, and what each instance (pod) last reported.
 *
 * @param namespace the plug-in's namespace
 * @param plugin the Plugin's name
 * @param at when these figures were computed (the operator's clock)
 * @param total all versions together
 * @param versions figures per version (the Plugin's {@code spec.version} each runtime was started
 *     or hot-swapped with; two revisions may share one, e.g. after an env change)
 * @param revisions figures per pod template revision (what a canary compares: it tells apart two
 *     revisions whatever versions they report)
 * @param instances per instance (pod name): its version and revision and when it last reported,
 *     including instances that stopped reporting within the retention (see {@link Instance#fresh})
 * @param lastReport when the newest report of the plug-in was made
 */
public record PluginStats(
    String namespace,
    String plugin,
    Instant at,
    Figures total,
    Map<String, Figures> versions,
    Map<String, Figures> revisions,
    Map<String, Instance> instances,
    Instant lastReport) {

  public PluginStats {
    versions = Map.copyOf(versions);
    revisions = Map.copyOf(revisions);
    instances = Map.copyOf(instances);
  }

  /** Instances whose last report is recent enough to be trusted. */
  public int freshInstances() {
    return (int) instances.values().stream().filter(Instance::fresh).count();
  }

  /**
   * Figures of a group of instances (a plug-in, one of its versions or one of its revisions) over
   * the window.
   *
   * @param qps requests finished per second
   * @param errorRate failed requests (server faults) / requests, 0 without requests
   * @param p99Millis the upper bound of the latency bucket holding the 99th percentile (empty
   *     without requests; +Infinity when slower than the largest bucket)
   * @param lag requests waiting on the partitions assigned to the fresh instances, as they last
   *     reported it (-1 when none of them knows)
   * @param inFlight calls and events being handled, as the fresh instances last reported it
   * @param requests requests finished in the window
   * @param errors of those, failed ones
   * @param samples reports in the window
   * @param instances fresh instances
   * @param events events handled in the window
   */
  public record Figures(
      double qps,
      double errorRate,
      OptionalDouble p99Millis,
      long lag,
      long inFlight,
      long requests,
      long errors,
      int samples,
      int instances,
      long events) {

    /** Nothing was handled in the window and nothing waits or runs. */
    public boolean idle() {
      return requests == 0 && events == 0 && lag <= 0 && inFlight == 0;
    }
  }

  /**
   * What one runtime instance last said about itself.
   *
   * @param version the plug-in version it runs
   * @param revision the pod template revision it runs
   * @param lastReport when it made its last report
   * @param fresh whether that report is recent enough (within the stale-after setting)
   * @param lag requests waiting on its assigned partitions (-1 unknown)
   * @param inFlight calls and events it was handling
   */
  public record Instance(
      String version,
      String revision,
      Instant lastReport,
      boolean fresh,
      long lag,
      long inFlight) {}
}
