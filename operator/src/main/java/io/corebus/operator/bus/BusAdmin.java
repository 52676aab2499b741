package io.corebus.operator.bus;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.BrokerNotAvailableException;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The operator's Kafka Admin client, built from the current {@link KafkaConnection} when first
 * needed and built again after a call failed for want of Kafka (so a rotated secret file, a fixed
 * DNS entry or a switched connection is picked up). Every use goes through {@link #call}, which
 * applies the {@link KafkaAvailability} back-off and turns "Kafka is unreachable" into a {@link
 * KafkaUnavailableException} with the time to try again. Errors about one topic are left to the
 * caller: they do not make Kafka unavailable.
 */
public final class BusAdmin implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(BusAdmin.class);

  /** One Admin operation: may call {@link #await} any number of times. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Admin admin) throws ExecutionException, InterruptedException;
  }

  private final Supplier<KafkaConnection> connection;
  private final KafkaAvailability availability;
  private Admin admin;
  private KafkaConnection built;

  public BusAdmin(Supplier<KafkaConnection> connection, KafkaAvailability availability) {
    this.connection = connection;
    this.availability = availability;
  }

  public KafkaAvailability availability() {
    return availability;
  }

  /** The connection the next client is (or the current one was) built from. */
  public KafkaConnection connection() {
    return connection.get();
  }

  /**
   * Runs one operation against Kafka.
   *
   * @param operation a short name for the errors metric and messages
   * @throws KafkaUnavailableException when Kafka is known to be down (back-off), the client cannot
   *     be built, or the operation failed with a connection, timeout or authorization error
   */
  public <T> T call(String operation, Work<T> work) throws KafkaUnavailableException {
    var wait = availability.reserveAttempt();
    if (wait.isPresent()) {
      throw new KafkaUnavailableException(availability.lastError(), wait.get());
    }
    Admin client;
    try {
      client = client();
    } catch (RuntimeException e) {
      throw unavailable(operation, null, e);
    }
    try {
      T result = work.run(client);
      availability.succeeded();
      return result;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (isUnavailability(cause)) {
        throw unavailable(operation, client, cause);
      }
      // Kafka answered, with an error the work did not expect: still a failed reconcile step.
      availability.succeeded();
      availability.topicError(operation);
      throw new IllegalStateException(operation + " failed: " + message(cause), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaUnavailableException("interrupted while calling Kafka", Duration.ofSeconds(1));
    } catch (RuntimeException e) {
      if (isUnavailability(e)) {
        throw unavailable(operation, client, e);
      }
      throw e;
    }
  }

  /** Asks Kafka for its brokers, only to update the availability; never throws. */
  public void probe() {
    try {
      call("describe-cluster", admin -> await(admin.describeCluster().nodes()));
    } catch (KafkaUnavailableException | RuntimeException e) {
      LOG.debugf("Kafka probe: %s", e.getMessage());
    }
  }

  /**
   * Waits for one result of an Admin call, at most the API timeout plus a margin (the client's own
   * timeout normally fires first).
   */
  public <T> T await(KafkaFuture<T> future) throws ExecutionException, InterruptedException {
    long ms = connection.get().apiTimeout().toMillis() + 2_000;
    try {
      return future.get(ms, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new ExecutionException(
          new TimeoutException("no answer from Kafka within " + ms + " ms"));
    }
  }

  /** Connection, timeout and credential errors: Kafka is not usable, whatever the topic. */
  public static boolean isUnavailability(Throwable e) {
    return e instanceof TimeoutException
        || e instanceof DisconnectException
        || e instanceof NetworkException
        || e instanceof BrokerNotAvailableException
        || e instanceof AuthenticationException
        || e instanceof AuthorizationException;
  }

  static String message(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }

  private KafkaUnavailableException unavailable(String operation, Admin failed, Throwable cause) {
    String error =
        "cannot reach Kafka at "
            + connection.get().describe()
            + " ("
            + operation
            + "): "
            + root(cause);
    Duration backoff = availability.failed(operation, error);
    if (failed != null) {
      discard(failed);
    }
    LOG.debugf(cause, "%s", error);
    return new KafkaUnavailableException(error, backoff);
  }

  private static String root(Throwable e) {
    Throwable t = e;
    // "Failed to create new KafkaAdminClient" hides the reason (no resolvable bootstrap URLs...).
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? message(e) : message(e) + " (" + message(t) + ")";
  }

  private synchronized Admin client() {
    KafkaConnection current = connection.get();
    if (admin != null && current.equals(built)) {
      return admin;
    }
    if (admin != null) {
      admin.close(Duration.ZERO);
    }
    admin = null;
    admin = Admin.create(current.adminProperties());
    built = current;
    return admin;
  }

  /** Drops a client that failed, so the next call builds a fresh one. */
  private synchronized void discard(Admin failed) {
    if (admin == failed) {
      admin.close(Duration.ZERO);
      admin = null;
      built = null;
    }
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
      admin = null;
    }
  }
}
