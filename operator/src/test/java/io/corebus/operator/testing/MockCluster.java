package io.corebus.operator.testing;

import io.corebus.crds.Plugin;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * fabric8's mock API server in CRUD mode with the Plugin CRD registered from the crds module's
 * generated YAML (the one copy), plus a client for the test and a separately identified client for
 * the operator, so requests can be told apart.
 */
public final class MockCluster implements AutoCloseable {
  public static final String OPERATOR_USER_AGENT = "corebus-operator-under-test";
  private static final String CRD_RESOURCE = "META-INF/fabric8/plugins.corebus.io-v1.yml";

  /** The mock server logs every request at INFO; held here so the level sticks. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  static {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private MockCluster() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init();
    client = server.createClient();
  }

  public static MockCluster start() {
    MockCluster cluster = new MockCluster();
    try (InputStream crd = MockCluster.class.getClassLoader().getResourceAsStream(CRD_RESOURCE)) {
      if (crd == null) {
        throw new IllegalStateException(CRD_RESOURCE + " is not on the classpath (crds module)");
      }
      CustomResourceDefinition def =
          cluster.client.apiextensions().v1().customResourceDefinitions().load(crd).item();
      if (!Plugin.CRD_NAME.equals(def.getMetadata().getName())) {
        throw new IllegalStateException("unexpected CRD " + def.getMetadata().getName());
      }
      cluster.client.apiextensions().v1().customResourceDefinitions().resource(def).create();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return cluster;
  }

  /** The test's client. */
  public KubernetesClient client() {
    return client;
  }

  /** A new client whose requests carry {@link #OPERATOR_USER_AGENT}. */
  public KubernetesClient newOperatorClient() {
    Config base = client.getConfiguration();
    Config config = new ConfigBuilder(base).withUserAgent(OPERATOR_USER_AGENT).build();
    return server.createClient(b -> b.withConfig(config));
  }

  public void createNamespace(String name) {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
  }

  /** Every request the server received since the last call. */
  public List<RecordedRequest> takeRequests() {
    List<RecordedRequest> out = new ArrayList<>();
    try {
      RecordedRequest r;
      while ((r = server.takeRequest(1, TimeUnit.MILLISECONDS)) != null) {
        out.add(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
