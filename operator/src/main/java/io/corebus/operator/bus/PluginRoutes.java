package io.corebus.operator.bus;

import io.corebus.crds.Plugin;
import java.util.List;

/**
 * Where the operator publishes the routes of the services plug-ins provide: the seam to the route
 * table (the compacted {@code BusTopics.routes()} topic), whose record format is defined in
 * bus-protocol. The reconciler calls it; {@link #NONE} is in use until the route-table publisher is
 * plugged in (a CDI bean of this type replaces it).
 *
 * <p>Implementations must be idempotent: the reconciler calls {@link #publish} whenever a Plugin's
 * desired routes differ from what it last handed over, and again after an operator restart.
 */
public interface PluginRoutes {

  /**
   * Publishes the routes of a valid Plugin's services. Called after the Plugin's topics exist (so a
   * caller that finds a route also finds its request topic).
   *
   * @param routes one per provided service (see {@link DesiredRoutes})
   * @throws RuntimeException when the routes could not be published; the reconciler reports it like
   *     a Kafka outage and calls again later
   */
  void publish(Plugin plugin, List<ServiceRoute> routes);

  /**
   * Takes a deleted Plugin's routes away (tombstones), so callers stop sending before its pods
   * stop. Called at the start of every cleanup pass of the Plugin, before its pods are deleted.
   *
   * @param services the services the Plugin provided
   * @throws RuntimeException when that failed; the cleanup is retried
   */
  void withdraw(Plugin plugin, List<String> services);

  /**
   * No route table yet: runtimes find a service's request topic by its name ({@code
   * BusTopics.requests}) and use the bus transport.
   */
  PluginRoutes NONE =
      new PluginRoutes() {
        @Override
        public void publish(Plugin plugin, List<ServiceRoute> routes) {}

        @Override
        public void withdraw(Plugin plugin, List<String> services) {}
      };
}
