package io.corebus.operator.bus;

import io.corebus.crds.Transport;
import java.util.List;

/**
 * The route of one service, as the operator wants it in the route table. Field for field the shape
 * of the route-table record that bus-protocol defines (io.corebus.bus.protocol.ServiceRoute /
 * VersionRoute / Endpoint, on the bus2 branch): the publisher maps one onto the other.
 *
 * @param service the service's full name
 * @param transport bus (through the version's topic) or hybrid (direct gRPC to its endpoints)
 * @param allowedCallers provides[].allowedCallers; empty means any Plugin
 * @param versions the versions serving it; weights add up to 100
 */
public record ServiceRoute(
    String service, Transport transport, List<String> allowedCallers, List<VersionRoute> versions) {

  public ServiceRoute {
    allowedCallers = List.copyOf(allowedCallers);
    versions = List.copyOf(versions);
  }

  /**
   * One version of the provider.
   *
   * @param plugin the providing Plugin
   * @param version spec.version its pods run
   * @param revision the pod template revision
   * @param weight share of new calls, 0..100
   * @param topic where its bus calls go ({@code BusTopics.requests(service)}, shared by all
   *     versions today)
   * @param endpoints {@code ip:9090} of its Ready pods ({@code [ip]:9090} for IPv6) on hybrid
   *     routes; empty on bus routes
   */
  public record VersionRoute(
      String plugin,
      String version,
      String revision,
      int weight,
      String topic,
      List<String> endpoints) {
    public VersionRoute {
      endpoints = List.copyOf(endpoints);
    }
  }
}
