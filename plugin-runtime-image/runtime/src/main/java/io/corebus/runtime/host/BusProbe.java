package io.corebus.runtime.host;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Checks in the background (health checks must not block) that Kafka answers and that every topic
 * this runtime consumes exists: a consumer subscribed to a missing topic joins its group happily
 * and serves nothing, which must not count as ready.
 */
final class BusProbe {
  private final Admin admin;
  private final List<String> consumedTopics;
  private volatile String problem = "bus not checked yet";

  BusProbe(Admin admin, Collection<String> consumedTopics) {
    this.admin = admin;
    this.consumedTopics = List.copyOf(consumedTopics);
  }

  void check() {
    try {
      admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
      if (!consumedTopics.isEmpty()) {
        Set<String> existing = admin.listTopics().names().get(3, TimeUnit.SECONDS);
        List<String> missing = new ArrayList<>(consumedTopics);
        missing.removeAll(existing);
        if (!missing.isEmpty()) {
          problem = "topics " + missing + " do not exist (the operator creates them)";
          return;
        }
      }
      problem = null;
    } catch (Exception e) {
      problem = "Kafka does not answer: " + e;
    }
  }

  /** Null when the last check passed. */
  String problem() {
    return problem;
  }
}
