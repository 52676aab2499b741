package io.corebus.runtime.bus;

import io.corebus.bus.protocol.Endpoint;
import io.corebus.bus.protocol.MalformedRouteException;
import io.corebus.bus.protocol.RouteCodec;
import io.corebus.bus.protocol.ServiceRoute;
import io.corebus.bus.protocol.VersionRoute;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The operator's route table, followed live: a consumer without a group reads the compacted routes
 * topic from the beginning at start, then keeps reading, and each record replaces (or, as a
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
  private static final long PARTITION_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final String topic;
  private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
  private final BusMetrics metrics;
  private final Map<String, ResolvedRoute> routes = new ConcurrentHashMap<>();
  // Calls waiting for a service's route to change; guarded by itself, as are changes of routes.
  private final Map<String, Set<CompletableFuture<Void>>> changeWaiters = new HashMap<>();
  private final Map<TopicPartition, Long> catchUpTargets = new HashMap<>();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private final List<Consumer<Set<Endpoint>>> endpointListeners = new CopyOnWriteArrayList<>();
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile boolean running = true;
  private boolean started;
  private volatile String problem = "not started";
  private volatile String lastMalformed;
  private long partitionsCheckedNanos;

  public RouteTable(String topic, Map<String, Object> consumerProperties, BusMetrics metrics) {
    this(topic, new KafkaConsumer<>(consumerProperties), metrics);
  }

  RouteTable(
      String topic,
      org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
      BusMetrics metrics) {
    this.topic = topic;
    this.consumer = consumer;
    this.metrics = metrics;
    this.thread = new Thread(this::run, "corebus-route-table");
    this.thread.setDaemon(true);
  }

  public synchronized void start() {
    problem = "reading the route table " + topic;
    started = true;
    thread.start();
  }

  public String topic() {
    return topic;
  }

  /** Whether the table was read up to the end offsets seen at start. */
  public boolean caughtUp() {
    return caughtUp.isDone();
  }

  /** Completes when the table caught up. */
  public CompletableFuture<Void> whenCaughtUp() {
    return caughtUp;
  }

  /** Why the table is not caught up (a missing topic, Kafka errors), or null once it is. */
  public String notReadyReason() {
    return caughtUp() ? null : problem;
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

  private void run() {
    try {
      while (running) {
        try {
          if (!refreshPartitions()) {
            stopping.await(1, TimeUnit.SECONDS);
            continue;
          }
          boolean changed = false;
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            changed |= apply(r);
          }
          if (changed) {
            notifyEndpoints();
          }
          checkCaughtUp();
        } catch (WakeupException e) {
          if (running) {
            continue;
          }
          return;
        } catch (RuntimeException e) {
          problem = "cannot read the route table " + topic + ": " + e;
          LOG.warnf("cannot read the route table %s (retrying): %s", topic, e.toString());
          stopping.await(1, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debugf("closing the route table consumer: %s", e);
      }
      stopped.countDown();
    }
  }

  /** Assigns partitions not read yet; false while the topic does not exist. */
  private boolean refreshPartitions() {
    long now = System.nanoTime();
    if (!assigned.isEmpty() && now - partitionsCheckedNanos < PARTITION_REFRESH_NANOS) {
      return true;
    }
    partitionsCheckedNanos = now;
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
    if (infos == null || infos.isEmpty()) {
      if (assigned.isEmpty()) {
        problem = "the route table topic " + topic + " does not exist (the operator creates it)";
        return false;
      }
      return true;
    }
    Set<TopicPartition> fresh = new HashSet<>();
    for (PartitionInfo p : infos) {
      TopicPartition tp = new TopicPartition(p.topic(), p.partition());
      if (!assigned.contains(tp)) {
        fresh.add(tp);
      }
    }
    if (fresh.isEmpty()) {
      return true;
    }
    assigned.addAll(fresh);
    consumer.assign(assigned);
    consumer.seekToBeginning(fresh);
    if (!caughtUp()) {
      catchUpTargets.putAll(consumer.endOffsets(fresh, Duration.ofSeconds(10)));
      problem = "reading the route table " + topic + " up to offsets " + catchUpTargets;
    }
    return true;
  }

  private void checkCaughtUp() {
    if (caughtUp() || catchUpTargets.isEmpty()) {
      return;
    }
    for (Map.Entry<TopicPartition, Long> e : catchUpTargets.entrySet()) {
      if (consumer.position(e.getKey(), Duration.ofSeconds(5)) < e.getValue()) {
        return;
      }
    }
    problem = null;
    LOG.infof("route table %s read: %d services %s", topic, routes.size(), routes.keySet());
    caughtUp.complete(null);
  }

  /** Applies one record; true when a route changed. */
  boolean apply(ConsumerRecord<byte[], byte[]> r) {
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
  public synchronized void close() {
    if (!started) {
      consumer.close(Duration.ofSeconds(1));
      return;
    }
    running = false;
    stopping.countDown();
    consumer.wakeup();
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
