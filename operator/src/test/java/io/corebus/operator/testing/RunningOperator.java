package io.corebus.operator.testing;

import io.corebus.operator.autoscaling.PluginScaler;
import io.corebus.operator.bus.PluginControl;
import io.corebus.operator.bus.PluginRoutes;
import io.corebus.operator.bus.PluginTopics;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.metrics.PluginCensus;
import io.corebus.operator.plugin.PluginReconciler;
import io.corebus.operator.security.PluginSecurity;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator's reconciler run by a plain Java Operator SDK {@link Operator} against the mock API
 * server, so a test can stop it and start another one (a restart) at will. Counts finished
 * reconciles per Plugin through JOSDK's metrics hook.
 */
public final class RunningOperator implements AutoCloseable {
  private final Operator operator;
  private final KubernetesClient client;
  private final Map<String, AtomicInteger> reconciles = new ConcurrentHashMap<>();
  private final PluginCensus census = new PluginCensus(new SimpleMeterRegistry());

  private RunningOperator(
      MockCluster cluster,
      OperatorSettings settings,
      PluginTopics topics,
      PluginRoutes routes,
      PluginScaler scaler,
      PluginControl control,
      PluginSecurity security) {
    client = cluster.newOperatorClient();
    Metrics counter =
        new Metrics() {
          @Override
          public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
            reconciles
                .computeIfAbsent(
                    key(resource.getMetadata().getNamespace(), resource.getMetadata().getName()),
                    k -> new AtomicInteger())
                .incrementAndGet();
          }
        };
    operator =
        new Operator(
            o ->
                o.withKubernetesClient(client)
                    .withCloseClientOnStop(true)
                    .withUseSSAToPatchPrimaryResource(false)
                    .withSSABasedCreateUpdateMatchForDependentResources(false)
                    .withMetrics(counter)
                    .withCacheSyncTimeout(Duration.ofSeconds(30))
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(5)));
    operator.register(
        new PluginReconciler(
            settings,
            census,
            topics,
            routes,
            scaler == null ? PluginScaler.withoutTelemetry(Clock.systemUTC()) : scaler,
            control,
            security,
            Clock.systemUTC()));
    operator.start();
  }

  /** The operator without Kafka: topics and routes are not handled. */
  public static RunningOperator start(MockCluster cluster, OperatorSettings settings) {
    return new RunningOperator(
        cluster,
        settings,
        PluginTopics.NONE,
        PluginRoutes.NONE,
        null,
        PluginControl.NONE,
        PluginSecurity.OFF);
  }

  /** The operator with the given topic handling and route seam. */
  public static RunningOperator start(
      MockCluster cluster, OperatorSettings settings, PluginTopics topics, PluginRoutes routes) {
    return new RunningOperator(
        cluster, settings, topics, routes, null, PluginControl.NONE, PluginSecurity.OFF);
  }

  /** The operator on a secured bus. */
  public static RunningOperator start(
      MockCluster cluster,
      OperatorSettings settings,
      PluginTopics topics,
      PluginRoutes routes,
      PluginSecurity security) {
    return new RunningOperator(
        cluster, settings, topics, routes, null, PluginControl.NONE, security);
  }

  /** The operator with topics, routes and autoscaling (telemetry, request backlog). */
  public static RunningOperator start(
      MockCluster cluster,
      OperatorSettings settings,
      PluginTopics topics,
      PluginRoutes routes,
      PluginScaler scaler) {
    return new RunningOperator(
        cluster, settings, topics, routes, scaler, PluginControl.NONE, PluginSecurity.OFF);
  }

  /** The operator with topics, routes, telemetry and the control topic (hot swap). */
  public static RunningOperator start(
      MockCluster cluster,
      OperatorSettings settings,
      PluginTopics topics,
      PluginRoutes routes,
      PluginScaler scaler,
      PluginControl control) {
    return new RunningOperator(
        cluster, settings, topics, routes, scaler, control, PluginSecurity.OFF);
  }

  /** Reconciles finished for a Plugin so far. */
  public int reconciles(String namespace, String plugin) {
    AtomicInteger n = reconciles.get(key(namespace, plugin));
    return n == null ? 0 : n.get();
  }

  public PluginCensus census() {
    return census;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  @Override
  public void close() {
    operator.stop();
  }
}
