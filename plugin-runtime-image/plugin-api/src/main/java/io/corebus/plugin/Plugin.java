package io.corebus.plugin;

/**
 * The one contract between a plug-in and the Corebus runtime that hosts it.
 *
 * <p>A plug-in jar names exactly one implementation in {@code
 * META-INF/services/io.corebus.plugin.Plugin}; the runtime finds it with {@link
 * java.util.ServiceLoader}, so the class needs a public no-argument constructor. The runtime then:
 *
 * <ol>
 *   <li>calls {@link #start(PluginContext)} once, on a runtime thread. Register gRPC services and
 *       event subscriptions here: the pod reports Ready only after {@code start} returned and the
 *       bus is consuming for them;
 *   <li>dispatches incoming calls and events to what {@code start} registered, on worker threads
 *       (so implementations must be thread-safe);
 *   <li>on shutdown (SIGTERM, scale-in, rollout) stops taking new work, lets in-flight calls and
 *       events finish, commits, and only then calls {@link #stop()}.
 * </ol>
 *
 * <p>A plug-in must not start its own servers or Kafka clients to talk to other plug-ins: every
 * call and event goes through the {@link PluginContext}, which is what lets the core route, scale,
 * swap and observe it.
 */
public interface Plugin {

  /**
   * Called once before any call or event is delivered. Throwing fails the pod's start: the runtime
   * logs the exception and exits non-zero, so Kubernetes shows the failure and restarts the pod.
   */
  void start(PluginContext context) throws Exception;

  /**
   * Called once after the runtime stopped delivering calls and events and in-flight work finished
   * (or the drain timeout passed). Release resources here; keep it short, the pod's termination
   * grace period is running. Exceptions are logged and do not stop the shutdown.
   */
  void stop() throws Exception;

  /**
   * The plug-in's version, such as {@code 1.4.2}. The runtime logs a warning when it differs from
   * the Plugin resource's {@code spec.version}, and reports it in telemetry.
   */
  String version();

  /** A name for logs and metrics. Defaults to the class's simple name. */
  default String name() {
    return getClass().getSimpleName();
  }
}
