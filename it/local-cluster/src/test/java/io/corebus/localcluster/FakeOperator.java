package io.corebus.localcluster;

import com.sun.net.httpserver.HttpServer;
import io.corebus.crds.Plugin;
import io.corebus.crds.RuntimeContract;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stands in for the operator in LocalCluster tests: a JVM that the cluster starts with its
 * kubeconfig and Kafka bootstrap. It records the settings it got in a ConfigMap {@code
 * fake-operator}, creates one pod {@code <plugin>-0} per Plugin (owned by it), and answers {@code
 * /q/health/ready} on {@code $QUARKUS_HTTP_HOST:$QUARKUS_HTTP_PORT}.
 */
public final class FakeOperator {
  private FakeOperator() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    KubernetesClient client = new KubernetesClientBuilder().build(); // reads $KUBECONFIG
    String ns = client.getNamespace();
    Map<String, String> seen = new TreeMap<>();
    for (String key :
        new String[] {
          "KUBECONFIG",
          "COREBUS_KAFKA_BOOTSTRAP",
          "COREBUS_KAFKA_BOOTSTRAP_SERVERS",
          "QUARKUS_OPERATOR_SDK_ENABLE_SSA",
          "CUSTOM_SETTING"
        }) {
      seen.put(key, env.getOrDefault(key, ""));
    }
    client
        .configMaps()
        .inNamespace(ns)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("fake-operator")
                .endMetadata()
                .withData(seen)
                .build())
        .createOr(c -> c.update());
    client
        .resources(Plugin.class)
        .inNamespace(ns)
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Plugin plugin) {
                createPod(client, plugin, env.get("COREBUS_KAFKA_BOOTSTRAP"));
              }

              @Override
              public void onUpdate(Plugin oldPlugin, Plugin plugin) {}

              @Override
              public void onDelete(Plugin plugin, boolean unknown) {}
            });
    HttpServer server =
        HttpServer.create(
            new InetSocketAddress(
                env.get("QUARKUS_HTTP_HOST"), Integer.parseInt(env.get("QUARKUS_HTTP_PORT"))),
            0);
    server.createContext(
        "/q/health/ready",
        ex -> {
          byte[] body = "UP".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    System.out.println("fake operator watching " + ns);
    Thread.currentThread().join();
  }

  private static void createPod(KubernetesClient client, Plugin plugin, String bootstrap) {
    String name = plugin.getMetadata().getName();
    client
        .pods()
        .inNamespace(plugin.getMetadata().getNamespace())
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name + "-0")
                .addToLabels("corebus.io/plugin", name)
                .addNewOwnerReference()
                .withApiVersion("corebus.io/v1alpha1")
                .withKind("Plugin")
                .withName(name)
                .withUid(plugin.getMetadata().getUid())
                .withController(true)
                .endOwnerReference()
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(5L)
                .addNewContainer()
                .withName(RuntimeContract.CONTAINER_NAME)
                .withImage("corebus/plugin-runtime:test")
                .addNewEnv()
                .withName(RuntimeContract.ENV_KAFKA_BOOTSTRAP)
                .withValue(bootstrap)
                .endEnv()
                .addNewEnv()
                .withName(RuntimeContract.ENV_PLUGIN_VERSION)
                .withValue(plugin.getSpec().getVersion())
                .endEnv()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath(RuntimeContract.READINESS_PATH)
                .withNewPort(RuntimeContract.HTTP_PORT)
                .endHttpGet()
                .endReadinessProbe()
                .endContainer()
                .endSpec()
                .build())
        .create();
  }
}
