package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.RouteRecord;
import io.corebus.bus.protocol.RouteTableWriter;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.crds.Plugin;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Publishes Plugins' routes on their namespace's route-table topic ({@link PluginRoutes}), through
 * a {@link RouteLog}. The records are built by bus-protocol's {@link RouteTableWriter}.
 *
 * <p>Per namespace it keeps the table as it last wrote it, read from the topic once when the
 * namespace is first touched (so a restarted operator knows what is published and who owns each
 * route) and again after any failed write (some records may have landed). With that it writes only
 * what changed, and knows who owns a service: the Plugin named by its route's versions. A Plugin
 * only ever removes a route it owns, so a service another Plugin has taken over keeps its route
 * when the first one's cleanup or edit comes late.
 *
 * <p>Calls for one namespace are serialized (reconciles of different Plugins run in parallel); each
 * returns once its records are acknowledged, bounded by the Kafka client timeouts.
 */
public final class RouteTablePublisher implements PluginRoutes, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RouteTablePublisher.class);

  private final RouteLog log;
  private final Map<String, NamespaceTable> tables = new ConcurrentHashMap<>();

  public RouteTablePublisher(RouteLog log) {
    this.log = log;
  }

  /** One namespace's table; {@code routes} is null until read (again). Guarded by itself. */
  private static final class NamespaceTable {
    final RouteTableWriter writer;
    Map<String, ServiceRoute> routes;

    NamespaceTable(String namespace) {
      this.writer = new RouteTableWriter(BusTopics.forNamespace(namespace));
    }
  }

  @Override
  public void publish(Plugin plugin, List<ServiceRoute> desired) {
    String name = plugin.getMetadata().getName();
    NamespaceTable table = table(plugin);
    synchronized (table) {
      Map<String, ServiceRoute> current = load(table);
      // What concerns this Plugin: the services it wants, and those it owns but no longer wants
      // (an edit dropped them). Routes of other Plugins' services are left alone.
      Map<String, ServiceRoute> relevant = new TreeMap<>();
      TreeSet<String> wanted = new TreeSet<>();
      desired.forEach(r -> wanted.add(r.service()));
      current.forEach(
          (service, route) -> {
            if (wanted.contains(service) || ownedBy(route, name)) {
              relevant.put(service, route);
            }
          });
      write(plugin, table, table.writer.changes(relevant, desired));
    }
  }

  @Override
  public void withdraw(Plugin plugin, List<String> services) {
    String name = plugin.getMetadata().getName();
    NamespaceTable table = table(plugin);
    synchronized (table) {
      Map<String, ServiceRoute> current = load(table);
      List<RouteRecord> tombstones =
          new TreeSet<>(services)
              .stream()
                  .filter(s -> ownedBy(current.get(s), name))
                  .map(table.writer::remove)
                  .toList();
      write(plugin, table, tombstones);
    }
  }

  /**
   * Forgets what is known about a namespace's table, so it is read again: for a route-table topic
   * that was just (re)created.
   */
  @Override
  public void tableCreated(String namespace) {
    NamespaceTable table = tables.get(namespace);
    if (table != null) {
      synchronized (table) {
        table.routes = null;
      }
    }
  }

  /** Whether a route is the Plugin's: every version (there is at least one) is served by it. */
  static boolean ownedBy(ServiceRoute route, String plugin) {
    return route != null
        && !route.versions().isEmpty()
        && route.versions().stream().allMatch(v -> plugin.equals(v.plugin()));
  }

  private NamespaceTable table(Plugin plugin) {
    return tables.computeIfAbsent(plugin.getMetadata().getNamespace(), NamespaceTable::new);
  }

  private Map<String, ServiceRoute> load(NamespaceTable table) {
    if (table.routes == null) {
      try {
        table.routes = new TreeMap<>(log.read(table.writer.topic()));
      } catch (KafkaUnavailableException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
      LOG.debugf("read route table %s: %d route(s)", table.writer.topic(), table.routes.size());
    }
    return table.routes;
  }

  private void write(Plugin plugin, NamespaceTable table, List<RouteRecord> records) {
    if (records.isEmpty()) {
      return;
    }
    try {
      log.append(records);
    } catch (KafkaUnavailableException | RuntimeException e) {
      // Some records may have been written: read the table again next time.
      table.routes = null;
      throw new IllegalStateException(e.getMessage(), e);
    }
    for (RouteRecord r : records) {
      RouteCodec.decode(r.key(), r.value())
          .ifPresentOrElse(
              route -> table.routes.put(route.service(), route),
              () -> table.routes.remove(r.service()));
      LOG.infof(
          "%s/%s: %s",
          plugin.getMetadata().getNamespace(),
          plugin.getMetadata().getName(),
          r.isTombstone()
              ? "removed the route of " + r.service()
              : "published the route " + new String(r.value(), StandardCharsets.UTF_8));
    }
  }

  @Override
  public void close() {
    if (log instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.debugf(e, "closing the route log");
      }
    }
  }
}
