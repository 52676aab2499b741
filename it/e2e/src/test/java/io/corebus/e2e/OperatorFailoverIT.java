package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.localcluster.LocalCluster;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.localcluster.OperatorReplica;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operator replicas, as the chart's {@code replicaCount: 2}: both run the real operator jar in
 * the prod profile, where leader election is on, against the local cluster. Exactly one holds the
 * Lease {@code corebus-operator-lock} and reconciles; the other passes the chart's startup,
 * liveness and readiness probes (else a two-replica Deployment would never finish rolling out) and
 * reconciles nothing; after a SIGKILL of the leader the standby takes the Lease within its duration
 * and reconciles a Plugin applied after the kill, leaving the Plugin the old leader made alone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorFailoverIT {

  static final String LEASE = "corebus-operator-lock";

  /** JOSDK's line at the start of every reconcile (DEBUG, turned on below). */
  static final String RECONCILE = "Handling dispatch for resource name: ";

  static final LocalCluster.Options OPTIONS =
      ShopCluster.options("failover")
          .operatorReplicas(2)
          .operatorProperty(
              "quarkus.log.category.\"io.javaoperatorsdk.operator.processing.event.ReconciliationDispatcher\".level",
              "DEBUG");

  static {
    // Pod IPs of its own: another class's cluster may still be up on 127.0.1.x.
    OPTIONS.kubelet().firstAddressBlock(220);
  }

  @RegisterExtension
  static final LocalClusterExtension cluster = LocalClusterExtension.perClass(OPTIONS);

  static final ShopCluster shop = new ShopCluster(cluster);

  static OperatorReplica leader;
  static OperatorReplica standby;

  @AfterAll
  static void closeOrderChannel() {
    shop.close();
  }

  @Test
  @Order(1)
  void exactlyOneReplicaHoldsTheLeaseAndTheStandbyPassesTheChartsProbes() {
    List<OperatorReplica> replicas = cluster.cluster().operatorReplicas();
    assertThat(replicas).hasSize(2).allSatisfy(r -> assertThat(r.isAlive()).isTrue());

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(holder()).isNotNull());
    String holder = holder();
    assertThat(replicas).extracting(OperatorReplica::identity).contains(holder);
    leader = replicas.stream().filter(r -> r.identity().equals(holder)).findFirst().orElseThrow();
    standby = replicas.stream().filter(r -> r != leader).findFirst().orElseThrow();
    System.out.println("leader " + leader + ", standby " + standby);

    // A Deployment's rollout (and helm install --wait) needs every replica Ready: the standby too.
    // Checked for a while, through several of the leader's renewals (every 2 s).
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(replicas)
                    .allSatisfy(
                        r ->
                            assertThat(probes(r))
                                .as(r.identity() + " /q/health/*")
                                .containsExactlyInAnyOrderEntriesOf(
                                    Map.of("started", 200, "live", 200, "ready", 200))));
    await()
        .during(Duration.ofSeconds(8))
        .atMost(Duration.ofSeconds(12))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(holder()).as("the Lease's holder").isEqualTo(leader.identity());
              assertThat(probes(standby))
                  .as("the standby's probes")
                  .containsExactlyInAnyOrderEntriesOf(
                      Map.of("started", 200, "live", 200, "ready", 200));
              assertThat(standby.isAlive()).isTrue();
            });
  }

  @Test
  @Order(2)
  void onlyTheLeaderReconciles() throws IOException {
    shop.apply(List.of("inventory"), plugin -> {});
    shop.awaitReady(List.of("inventory"), Duration.ofSeconds(120));
    assertThat(shop.podNames("inventory")).hasSize(1);

    assertThat(reconciles(leader)).as("reconciles in the leader's log").contains("inventory");
    assertThat(reconciles(standby)).as("reconciles in the standby's log").isEmpty();
  }

  @Test
  @Order(3)
  void afterTheLeaderIsKilledTheStandbyTakesTheLeaseAndReconcilesANewPlugin() throws IOException {
    Map<String, String> inventoryPods = podUids("inventory");
    int leaseSeconds = lease().getSpec().getLeaseDurationSeconds();

    long killed = System.nanoTime();
    leader.kill();
    assertThat(leader.isAlive()).as("the leader after SIGKILL").isFalse();
    // Applied while nobody leads: it waits for the new leader.
    shop.apply(List.of("notification"), plugin -> {});

    await()
        .atMost(Duration.ofSeconds(leaseSeconds + 45))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(holder()).isEqualTo(standby.identity()));
    Duration toLease = Duration.ofNanos(System.nanoTime() - killed);

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(() -> assertThat(shop.ready("notification")).isTrue());
    Duration toReady = Duration.ofNanos(System.nanoTime() - killed);
    System.out.printf(
        "operator failover (lease %d s): SIGKILL of %s -> Lease held by %s after %.1f s ->"
            + " notification (applied right after the kill) Ready after %.1f s%n",
        leaseSeconds,
        leader.identity(),
        standby.identity(),
        toLease.toMillis() / 1000.0,
        toReady.toMillis() / 1000.0);

    assertThat(toLease)
        // the margin is wide for a loaded 2-core CI: what matters is that the standby takes over
        .as("kill -> new holder, within the lease duration and a margin")
        .isLessThanOrEqualTo(Duration.ofSeconds(leaseSeconds + 30));
    assertThat(shop.podNames("notification")).hasSize(1);
    assertThat(reconciles(standby))
        .as("reconciles in the new leader's log")
        .contains("notification", "inventory");
    // The new leader adopts what the old one made: inventory keeps its pod and stays Ready.
    assertThat(podUids("inventory")).isEqualTo(inventoryPods);
    assertThat(shop.ready("inventory")).isTrue();
    assertThat(probes(standby))
        .containsExactlyInAnyOrderEntriesOf(Map.of("started", 200, "live", 200, "ready", 200));
  }

  // ---- helpers ----

  static Lease lease() {
    return cluster.client().leases().inNamespace(cluster.namespace()).withName(LEASE).get();
  }

  static String holder() {
    Lease lease = lease();
    return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
  }

  static Map<String, Integer> probes(OperatorReplica r) {
    return Map.of(
        "started", r.probe("started"), "live", r.probe("live"), "ready", r.probe("ready"));
  }

  /** The names of the Plugins this replica's log shows reconciles of. */
  static List<String> reconciles(OperatorReplica r) throws IOException {
    return Files.readAllLines(r.log(), StandardCharsets.UTF_8).stream()
        .filter(line -> line.contains(RECONCILE))
        .map(line -> line.substring(line.indexOf(RECONCILE) + RECONCILE.length()).split("\\s")[0])
        .distinct()
        .toList();
  }

  Map<String, String> podUids(String plugin) {
    return shop.pods(plugin).stream()
        .collect(Collectors.toMap(p -> p.getMetadata().getName(), OperatorFailoverIT::uid));
  }

  static String uid(Pod p) {
    return p.getMetadata().getUid();
  }
}
