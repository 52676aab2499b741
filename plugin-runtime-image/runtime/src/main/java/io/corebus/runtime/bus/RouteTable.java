package io.corebus.runtime.bus;

import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.MalformedRouteException;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.jboss.logging.Logger;

/**
 * The operator's route table, followed live: a {@link CompactedTopicFollower} reads the compacted
 * routes topic from the beginning at start, then keeps reading, and each record replaces (or, as a
 * tombstone, removes) one service's route. Calls look routes up here, so a new route applies to the
 * next call without a restart.
 *
 * <p>{@link #caughtUp()} turns true once every partition was read up to the end offsets seen at
 * start: before that, a missing service may only not be read yet, so calls wait for it (within
 * their deadline) and the runtime is not ready. A malformed record is logged, counted ({@code
 * corebus.routes.malformed}) and skipped; the service keeps its previous route, since a bad write
 * should not take down a working route.
 */
public final class RouteTable implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RouteTable.class);

  private final CompactedTopicFollower follower;
  private final BusMetrics metrics;
  private final Map<String, ResolvedRoute> routes = new ConcurrentHashMap<>();
  // Calls waiting for a service's route to change; guarded by itself, as are changes of routes.
  private final Map<String, Set<CompletableFuture<Void>>> changeWaiters = new HashMap<>();
  private final List<Consumer<Set<Endpoint>>> endpointListeners = new CopyOnWriteArrayList<>();
  private volatile String lastMalformed;
  // Whether a route changed during the current poll; on the follower's thread only.
  private boolean changed;

  public RouteTable(String topic, Map<String, Object> consumerProperties, BusMetrics metrics) {
    this(topic, new KafkaConsumer<>(consumerProperties), metrics);
  }

  RouteTable(
      String topic,
      org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
      BusMetrics metrics) {
    this.metrics = metrics;
    this.follower =
        new CompactedTopicFollower(
            topic, "route table", "corebus-route-table", consumer, new RouteRecords());
    follower
        .whenCaughtUp()
        .thenRun(
            () ->
                LOG.infof(
                    "route table %s read: %d services %s", topic, routes.size(), routes.keySet()));
  }

  public void start() {
    follower.start();
  }

  public String topic() {
    return follower.topic();
  }

  /** Whether the table was read up to the end offsets seen at start. */
  public boolean caughtUp() {
    return follower.caughtUp();
  }

  /** Completes when the table caught up. */
  public CompletableFuture<Void> whenCaughtUp() {
    return follower.whenCaughtUp();
  }

  /** Why the table is not caught up (a missing topic, Kafka errors), or null once it is. */
  public String notReadyReason() {
    return follower.notCaughtUpReason();
  }

  /** The last malformed record's problem, or null. */
  public String lastMalformed() {
    return lastMalformed;
  }

  /** The current route of a service, or empty when it has none. */
  public Optional<ServiceRoute> route(String service) {
    ResolvedRoute r = routes.get(service);
    return r == null ? Optional.empty() : Optional.of(r.route());
  }

  ResolvedRoute resolve(String service) {
    return routes.get(service);
  }

  /**
   * Completes at the next change of a service's route (a new route or its removal), or at once when
   * its route is no longer {@code seen}. Cancelling the future stops waiting. Completion runs on
   * the route table's thread: do not block there.
   */
  CompletableFuture<Void> nextChange(String service, ResolvedRoute seen) {
    CompletableFuture<Void> change = new CompletableFuture<>();
    synchronized (changeWaiters) {
      if (routes.get(service) != seen) {
        change.complete(null);
        return change;
      }
      changeWaiters.computeIfAbsent(service, s -> new HashSet<>()).add(change);
    }
    change.whenComplete(
        (v, e) -> {
          synchronized (changeWaiters) {
            Set<CompletableFuture<Void>> waiting = changeWaiters.get(service);
            if (waiting != null && waiting.remove(change) && waiting.isEmpty()) {
              changeWaiters.remove(service);
            }
          }
        });
    return change;
  }

  /** How many calls wait for the route of {@code service} to change. */
  int waitingCalls(String service) {
    synchronized (changeWaiters) {
      Set<CompletableFuture<Void>> waiting = changeWaiters.get(service);
      return waiting == null ? 0 : waiting.size();
    }
  }

  public int size() {
    return routes.size();
  }

  /**
   * Tells {@code listener} the endpoints of all routes after every change (to close direct channels
   * nobody routes to any more).
   */
  public void onEndpointsChanged(Consumer<Set<Endpoint>> listener) {
    endpointListeners.add(listener);
  }

  /** The route records, as the follower hands them over. */
  private final class RouteRecords implements CompactedTopicFollower.Updates {
    @Override
    public void put(ConsumerRecord<byte[], byte[]> record) {
      changed |= apply(record);
    }

    @Override
    public void remove(ConsumerRecord<byte[], byte[]> tombstone) {
      changed |= apply(tombstone);
    }

    @Override
    public void polled() {
      if (changed) {
        changed = false;
        notifyEndpoints();
      }
    }
  }

  /** Applies one record (a tombstone removes the route); true when a route changed. */
  private boolean apply(ConsumerRecord<byte[], byte[]> r) {
    Optional<ServiceRoute> route;
    try {
      route = RouteCodec.decode(r.key(), r.value());
    } catch (MalformedRouteException e) {
      lastMalformed = e.getMessage();
      metrics.routeMalformed();
      LOG.warnf(
          "skipping route record %s-%d@%d: %s (the service keeps its previous route)",
          r.topic(), r.partition(), r.offset(), e.getMessage());
      return false;
    }
    String service = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
    Set<CompletableFuture<Void>> waiting;
    synchronized (changeWaiters) {
      if (route.isEmpty()) {
        if (routes.remove(service) == null) {
          return false;
        }
        LOG.infof("route of %s removed", service);
      } else {
        ResolvedRoute previous = routes.get(service);
        if (previous != null && previous.route().equals(route.get())) {
          return false; // republished unchanged: keep the picking state
        }
        routes.put(service, new ResolvedRoute(route.get()));
        LOG.infof("route of %s: %s", service, describe(route.get()));
      }
      waiting = changeWaiters.remove(service);
    }
    if (waiting != null) {
      waiting.forEach(w -> w.complete(null));
    }
    return true;
  }

  private void notifyEndpoints() {
    Set<Endpoint> all = new HashSet<>();
    for (ResolvedRoute r : routes.values()) {
      for (VersionRoute v : r.route().versions()) {
        all.addAll(v.endpoints());
      }
    }
    Set<Endpoint> snapshot = Set.copyOf(all);
    for (Consumer<Set<Endpoint>> l : endpointListeners) {
      try {
        l.accept(snapshot);
      } catch (RuntimeException e) {
        LOG.warnf("endpoint listener failed: %s", e);
      }
    }
  }

  private static String describe(ServiceRoute route) {
    StringBuilder b = new StringBuilder(route.transport().wire());
    for (VersionRoute v : route.versions()) {
      b.append(", ")
          .append(v.plugin())
          .append(' ')
          .append(v.version())
          .append(" weight ")
          .append(v.weight());
      if (v.ready() != null) {
        b.append(" ready ").append(v.ready());
      }
      if (v.hasTopic()) {
        b.append(" -> ").append(v.topic());
      }
      if (!v.endpoints().isEmpty()) {
        b.append(" ").append(v.endpoints());
      }
    }
    if (!route.allowedCallers().isEmpty()) {
      b.append(", callers ").append(route.allowedCallers());
    }
    return b.toString();
  }

  @Override
  public void close() {
    follower.close();
  }
}
