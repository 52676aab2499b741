package io.corebus.runtime.health;

import io.corebus.runtime.host.PluginHost;
import io.corebus.runtime.host.PluginHost.Phase;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * The probes the operator puts on plug-in pods ({@code /q/health/started|ready|live}):
 *
 * <ul>
 *   <li>started: the plug-in's start() returned;
 *   <li>ready: started, the reply slot is assigned, the request and event consumers joined their
 *       groups, the route table was read up to the end offsets seen at start, Kafka answers and
 *       every consumed topic exists; DOWN with the reason otherwise;
 *   <li>live: no consumer thread died and the start did not fail.
 * </ul>
 */
@ApplicationScoped
public class PluginHealthChecks {
  private final PluginHost host;

  public PluginHealthChecks(PluginHost host) {
    this.host = host;
  }

  private HealthCheckResponseBuilder named(String name) {
    HealthCheckResponseBuilder b =
        HealthCheckResponse.named(name).withData("phase", host.phase().name());
    if (host.identity() != null) {
      b.withData("plugin", host.identity().plugin())
          .withData("version", host.identity().version())
          .withData("instance", host.identity().instance());
    }
    return b;
  }

  @Produces
  @Startup
  HealthCheck started() {
    return () -> {
      Phase p = host.phase();
      boolean up = p == Phase.RUNNING || p == Phase.STOPPING || p == Phase.STOPPED;
      HealthCheckResponseBuilder b = named("plugin-started").status(up);
      if (!up && host.failureReason() != null) {
        b.withData("reason", host.failureReason()).withData("message", host.failureMessage());
      }
      return b.build();
    };
  }

  @Produces
  @Readiness
  HealthCheck ready() {
    return () -> {
      String reason = host.notReadyReason();
      HealthCheckResponseBuilder b = named("plugin-ready").status(reason == null);
      if (reason != null) {
        b.withData("reason", reason);
      }
      return b.build();
    };
  }

  @Produces
  @Liveness
  HealthCheck live() {
    return () -> {
      String reason = host.deadReason();
      HealthCheckResponseBuilder b = named("plugin-live").status(reason == null);
      if (reason != null) {
        b.withData("reason", reason);
      }
      return b.build();
    };
  }
}
