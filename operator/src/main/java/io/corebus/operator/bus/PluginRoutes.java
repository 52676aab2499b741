package io.corebus.operator.bus;

import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.crds.Plugin;
import java.util.List;

/**
 * Where the operator publishes the routes of the services plug-ins provide: the route table (the
 * compacted {@code BusTopics.routes()} topic of the Plugin's namespace), whose record format is
 * bus-protocol's. The reconciler calls it; {@link RouteTablePublisher} is the implementation,
 * {@link #NONE} stands in when the operator has no Kafka.
 *
 * <p>Implementations must be idempotent: the reconciler calls {@link #publish} whenever a Plugin's
 * desired routes differ from what it last handed over, and again after an operator restart.
 */
public interface PluginRoutes {

  /**
   * Publishes the routes of a valid Plugin's services, and removes the routes of services it owned
   * in the table but no longer provides. Called after the Plugin's topics exist (so a caller that
   * finds a route also finds its request topic). Returns once the records are acknowledged.
   *
   * @param routes one per provided service (see {@link DesiredRoutes})
   * @throws RuntimeException when the routes could not be published; the reconciler reports it
   *     (Degraded=RoutesNotPublished) and calls again later
   */
  void publish(Plugin plugin, List<ServiceRoute> routes);

  /**
   * Takes a deleted Plugin's routes away (tombstones), so callers stop sending before its pods
   * stop. Only routes the Plugin still owns are removed: a service another Plugin has taken over
   * keeps its route. Called at the start of every cleanup pass of the Plugin, before its pods are
   * deleted.
   *
   * @param services the services the Plugin provided
   * @throws RuntimeException when that failed; the cleanup is retried
   */
  void withdraw(Plugin plugin, List<String> services);

  /**
   * The namespace's route-table topic was just created (again): whatever the implementation knows
   * about its content is void. Called before the next {@link #publish} of that namespace.
   */
  default void tableCreated(String namespace) {}

  /** No Kafka: no route table (every Plugin is invalid then, KafkaBootstrapMissing). */
  PluginRoutes NONE =
      new PluginRoutes() {
        @Override
        public void publish(Plugin plugin, List<ServiceRoute> routes) {}

        @Override
        public void withdraw(Plugin plugin, List<String> services) {}
      };
}
