package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusTopics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Where calls to a service go. Until the operator publishes a route table, a service's route is its
 * request topic by naming convention ({@link BusTopics#requests}), and a service is known when that
 * topic exists (the operator creates it for the providing Plugin). Answers are cached: found topics
 * for a minute, missing ones for two seconds, so a newly deployed provider is seen quickly.
 */
public final class RequestRoutes {
  private static final long FOUND_TTL = TimeUnit.MINUTES.toNanos(1);
  private static final long MISSING_TTL = TimeUnit.SECONDS.toNanos(2);

  private final BusTopics topics;
  private final Admin admin;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(boolean exists, long expiresNanos) {}

  public RequestRoutes(BusTopics topics, Admin admin) {
    this.topics = topics;
    this.admin = admin;
  }

  /**
   * The request topic for {@code service}, or empty when no plug-in provides it.
   *
   * @throws TimeoutException when Kafka did not answer within {@code wait}
   * @throws ExecutionException when Kafka answered with an error other than "unknown topic"
   */
  public Optional<String> requestTopic(String service, Duration wait)
      throws TimeoutException, ExecutionException, InterruptedException {
    String topic = topics.requests(service);
    long now = System.nanoTime();
    Cached cached = cache.get(topic);
    if (cached != null && now < cached.expiresNanos()) {
      return cached.exists() ? Optional.of(topic) : Optional.empty();
    }
    boolean exists;
    try {
      admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
      exists = true;
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
        throw e;
      }
      exists = false;
    }
    cache.put(topic, new Cached(exists, now + (exists ? FOUND_TTL : MISSING_TTL)));
    return exists ? Optional.of(topic) : Optional.empty();
  }
}
