package io.corebus.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Condition;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.corebus.localcluster.LocalCluster;
import io.corebus.localcluster.LocalClusterExtension;
import io.corebus.samples.localjar.LocalJar;
import io.corebus.samples.shop.order.api.OrderLine;
import io.corebus.samples.shop.order.api.OrderServiceGrpc;
import io.corebus.samples.shop.order.api.PlaceOrderRequest;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The shop sample on a test class's {@link LocalClusterExtension}, in one namespace: applies the
 * Plugins of {@code samples/shop/plugins} (with the local-jar rule and a test's tweaks), reads
 * their status, pods and Events, and owns the gRPC channel to order's direct port, shared by the
 * threads of an {@link OrderLoad}. Built in a static field next to the extension (it reads the
 * cluster only when called); {@link #close()} it after the class.
 */
final class ShopCluster implements AutoCloseable {
  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  static final Path PLUGINS = ROOT.resolve("samples/shop/plugins");

  /** The four plug-ins of the shop, in the order their YAML files sort. */
  static final List<String> SHOP = List.of("inventory", "notification", "order", "payment");

  private static final Pattern NOTIFICATIONS_SENT =
      Pattern.compile(
          "(?m)^corebus_plugin_notifications_total\\{[^}]*outcome=\"sent\"[^}]*}\\s+(\\S+)");

  /**
   * The options every e2e class starts its cluster with: this repository's plug-ins, the real
   * operator (awaited for two minutes), explicit heaps.
   */
  static LocalCluster.Options options(String namespace) {
    return new LocalCluster.Options()
        .namespace(namespace)
        .repositoryRoot(ROOT)
        .kafkaHeap("384m")
        .operatorHeap("256m")
        .withOperator()
        .awaitOperator(true, Duration.ofSeconds(120));
  }

  /** An order of {@code quantity} apples at 150 cents each. */
  static PlaceOrderRequest apples(String customer, int quantity) {
    return PlaceOrderRequest.newBuilder()
        .setCustomerId(customer)
        .addLines(
            OrderLine.newBuilder().setSku("apple").setQuantity(quantity).setUnitPriceCents(150))
        .build();
  }

  private final LocalClusterExtension cluster;
  private final String namespace;
  private final HttpClient http = HttpClient.newHttpClient();
  private ManagedChannel orderChannel;

  /** The shop in the cluster's own namespace. */
  ShopCluster(LocalClusterExtension cluster) {
    this(cluster, null);
  }

  /** The shop in {@code namespace} of the cluster (null: the cluster's own). */
  ShopCluster(LocalClusterExtension cluster, String namespace) {
    this.cluster = cluster;
    this.namespace = namespace;
  }

  String namespace() {
    return namespace != null ? namespace : cluster.namespace();
  }

  KubernetesClient client() {
    return cluster.client();
  }

  // ---- Plugins ----

  /**
   * A shop YAML as this cluster can run it: on the local cluster with the local-jar rule (the
   * freshly built jar by file:// URL); on a real one as written (its jars must be published at the
   * YAML's URLs, see samples/shop/README.md).
   */
  Plugin deployable(Path yaml) throws IOException {
    Plugin plugin = Serialization.unmarshal(Files.readString(yaml), Plugin.class);
    return cluster.cluster().isLocal() ? LocalJar.resolve(plugin, PLUGINS).plugin() : plugin;
  }

  /** The shop plug-in {@code name} ({@code samples/shop/plugins/<name>.yaml}) as deployable. */
  Plugin deployable(String name) throws IOException {
    return deployable(PLUGINS.resolve(name + ".yaml"));
  }

  /** Creates (or updates) the four shop Plugins, each after {@code tweak}. */
  void applyShop(Consumer<Plugin> tweak) throws IOException {
    apply(SHOP, tweak);
  }

  /** Creates (or updates) these shop Plugins in this namespace, in this order, each after tweak. */
  void apply(List<String> names, Consumer<Plugin> tweak) throws IOException {
    for (String name : names) {
      Plugin plugin = deployable(name);
      plugin.getMetadata().setNamespace(namespace());
      tweak.accept(plugin);
      plugins().resource(plugin).createOr(NonDeletingOperation::update);
    }
  }

  /** Waits until each of {@code names} has the condition Ready True. */
  void awaitReady(Collection<String> names, Duration atMost) {
    await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () ->
                assertThat(names)
                    .allSatisfy(name -> assertThat(ready(name)).as(name + " Ready").isTrue()));
  }

  NonNamespaceOperation<Plugin, KubernetesResourceList<Plugin>, Resource<Plugin>> plugins() {
    return client().resources(Plugin.class).inNamespace(namespace());
  }

  /** The Plugin {@code name}, or null. */
  Plugin plugin(String name) {
    return plugins().withName(name).get();
  }

  Plugin payment() {
    return plugin("payment");
  }

  /** Whether the Plugin has the condition Ready True. */
  boolean ready(String plugin) {
    Plugin p = plugin(plugin);
    if (p == null || p.getStatus() == null) {
      return false;
    }
    Condition c = p.getStatus().condition(Condition.READY);
    return c != null && Condition.TRUE.equals(c.getStatus());
  }

  /** The Events about the object {@code involved} (a Plugin's name) with this reason. */
  List<Event> events(String involved, String reason) {
    return client().v1().events().inNamespace(namespace()).list().getItems().stream()
        .filter(e -> reason.equals(e.getReason()))
        .filter(e -> involved.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  // ---- pods ----

  /** The plug-in's pods, terminating ones included. */
  List<Pod> pods(String plugin) {
    return client()
        .pods()
        .inNamespace(namespace())
        .withLabel("corebus.io/plugin", plugin)
        .list()
        .getItems();
  }

  /** The names of the plug-in's pods that are not terminating. */
  Set<String> podNames(String plugin) {
    return pods(plugin).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> p.getMetadata().getName())
        .collect(Collectors.toSet());
  }

  long readyPods(String plugin) {
    return pods(plugin).stream().filter(ShopCluster::podReady).count();
  }

  List<String> readyPodIps(String plugin) {
    return pods(plugin).stream()
        .filter(ShopCluster::podReady)
        .map(p -> p.getStatus().getPodIP())
        .toList();
  }

  /** Ready and not terminating. */
  static boolean podReady(Pod p) {
    if (p.getStatus() == null || p.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    for (PodCondition c : p.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  /** A runtime pod's Prometheus metrics (its HTTP port). */
  String metrics(String podIp) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://"
                            + podIp
                            + ":"
                            + RuntimeContract.HTTP_PORT
                            + RuntimeContract.METRICS_PATH))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Notifications sent so far, summed over notification's Ready pods. */
  long notificationsSent() throws IOException, InterruptedException {
    long total = 0;
    for (String ip : readyPodIps("notification")) {
      Matcher m = NOTIFICATIONS_SENT.matcher(metrics(ip));
      while (m.find()) {
        total += (long) Double.parseDouble(m.group(1));
      }
    }
    return total;
  }

  // ---- the bus ----

  /** The core's topic names in this namespace. */
  BusTopics topics() {
    return BusTopics.forNamespace(namespace());
  }

  Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
  }

  // ---- order's gRPC ----

  /**
   * A stub with a 10 s deadline on one Ready order pod's gRPC port. The channel is made on the
   * first call and shared: the threads of a load call this at once.
   */
  synchronized OrderServiceGrpc.OrderServiceBlockingStub order() {
    if (orderChannel == null) {
      List<String> ips = readyPodIps("order");
      assertThat(ips).as("Ready order pods").isNotEmpty();
      orderChannel =
          NettyChannelBuilder.forAddress(ips.get(0), RuntimeContract.GRPC_PORT)
              .usePlaintext()
              .build();
    }
    return OrderServiceGrpc.newBlockingStub(orderChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** Shuts the order channel down (a later {@link #order()} would open another). */
  @Override
  public synchronized void close() {
    if (orderChannel != null) {
      orderChannel.shutdownNow();
      orderChannel = null;
    }
  }
}
