package io.corebus.localcluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A {@link LocalCluster} for end-to-end tests: one per test class ({@link #perClass}), or one for
 * the whole test run, shared by every class that registers a {@link #perRun} extension and stopped
 * when the run ends.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalClusterExtension cluster =
 *     LocalClusterExtension.perRun(new LocalCluster.Options().namespace("e2e").withOperator());
 *
 * @Test void greeterAnswers() { ... cluster.client() ... cluster.bootstrapServers() ... }
 * }</pre>
 *
 * <p>Test methods can also take a {@link LocalCluster} or {@link KubernetesClient} parameter. With
 * {@value LocalCluster#EXTERNAL_KUBECONFIG_ENV} and {@value KafkaBroker#EXTERNAL_BOOTSTRAP_ENV}
 * set, the tests run against that cluster instead. The working directory (kubeconfig, pod and
 * operator logs) is under {@code target/} when there is one; it is kept, and its path printed, when
 * a test failed.
 */
public final class LocalClusterExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(LocalClusterExtension.class);

  private final LocalCluster.Options options;
  private final boolean shared;
  private LocalCluster cluster;
  private Path workDir;

  private LocalClusterExtension(LocalCluster.Options options, boolean shared) {
    this.options = options;
    this.shared = shared;
  }

  /** A cluster started before the class's first test and stopped after its last. */
  public static LocalClusterExtension perClass(LocalCluster.Options options) {
    return new LocalClusterExtension(options, false);
  }

  /**
   * One cluster for the whole run: the first class that needs it starts it with its options; the
   * others reuse it.
   */
  public static LocalClusterExtension perRun(LocalCluster.Options options) {
    return new LocalClusterExtension(options, true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (cluster != null) {
      return;
    }
    if (shared) {
      Shared s =
          context
              .getRoot()
              .getStore(STORE)
              .getOrComputeIfAbsent("cluster", k -> new Shared(startCluster("run")), Shared.class);
      cluster = s.cluster;
    } else {
      cluster = startCluster(context.getRequiredTestClass().getSimpleName());
    }
  }

  private LocalCluster startCluster(String label) {
    try {
      Path parent =
          Files.isDirectory(Path.of("target"))
              ? Path.of("target")
              : Path.of(System.getProperty("java.io.tmpdir"));
      workDir = Files.createTempDirectory(parent.toAbsolutePath(), "local-cluster-" + label + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return LocalCluster.startOrConnect(workDir, options);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (shared || cluster == null) {
      return;
    }
    cluster.close();
    cluster = null;
    if (context.getExecutionException().isPresent()) {
      System.err.println("local cluster files kept for inspection: " + workDir);
    } else {
      Directories.deleteRecursively(workDir);
    }
  }

  /** The cluster; valid from the class's first test to its last. */
  public LocalCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("the cluster runs only while the test class runs");
    }
    return cluster;
  }

  public KubernetesClient client() {
    return cluster().client();
  }

  public String bootstrapServers() {
    return cluster().bootstrapServers();
  }

  public String namespace() {
    return cluster().namespace();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == LocalCluster.class || type == KubernetesClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalCluster.class ? cluster() : client();
  }

  /** Closed by JUnit when the run's root context closes. */
  private static final class Shared implements ExtensionContext.Store.CloseableResource {
    final LocalCluster cluster;

    Shared(LocalCluster cluster) {
      this.cluster = cluster;
    }

    @Override
    public void close() {
      cluster.close();
    }
  }
}
