package io.corebus.localcluster;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.vertx.HttpServerRequestHandler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Kubernetes API server for one machine: fabric8's mock server in CRUD mode, in this JVM, on
 * 127.0.0.1 and plain HTTP, with the Corebus Plugin CRD installed.
 *
 * <p>What works: create / get / list / watch / update / patch (JSON patch, merge patch, and an
 * approximation of strategic merge patch) / delete of any kind; label selectors (equality,
 * inequality, exists); {@code metadata.name} field selectors; resourceVersion conflicts;
 * generation; finalizers; the status subresource of CRDs (and of pods, services, namespaces, nodes,
 * workloads); the scale subresource of CRDs (via the CRD's specReplicasPath); discovery for kubectl
 * and generic clients; server-side tables for {@code kubectl get} with the CRD's printer columns;
 * graceful deletion of pods run by a kubelet; {@code pods/log} when a kubelet serves logs;
 * owner-reference garbage collection (background). See {@code it/local-cluster/README.md} for what
 * does not.
 *
 * <pre>{@code
 * try (LocalApiServer api = LocalApiServer.start(new LocalApiServer.Options())) {
 *   api.client().resources(Plugin.class).inNamespace(api.namespace()).resource(plugin).create();
 *   // kubectl --kubeconfig api.kubeconfig() get plugins
 * }
 * }</pre>
 */
public final class LocalApiServer implements AutoCloseable {

  /** Where the committed Plugin CRD lives, relative to the repository root. */
  public static final String PLUGIN_CRD_PATH = "helm-chart/corebus/crds/plugins.corebus.io-v1.yml";

  /** The same CRD as the crds module's crd-generator writes it into its jar. */
  static final String PLUGIN_CRD_RESOURCE = "META-INF/fabric8/plugins.corebus.io-v1.yml";

  /** A token the kubeconfig carries because clients want one; nothing checks it. */
  public static final String TOKEN = "corebus-local";

  private final Vertx vertx;
  private final HttpServer http;
  private final ApiServerDispatcher dispatcher;
  private final String url;
  private final String namespace;
  private final Path kubeconfig;
  private final Path ownedDir;
  private final KubernetesClient client;

  private LocalApiServer(
      Vertx vertx,
      HttpServer http,
      ApiServerDispatcher dispatcher,
      String url,
      String namespace,
      Path kubeconfig,
      Path ownedDir) {
    this.vertx = vertx;
    this.http = http;
    this.dispatcher = dispatcher;
    this.url = url;
    this.namespace = namespace;
    this.kubeconfig = kubeconfig;
    this.ownedDir = ownedDir;
    this.client = newClient();
  }

  /** Starts a server with the default options. */
  public static LocalApiServer start() {
    return start(new Options());
  }

  /**
   * Starts the server, installs the CRDs, creates the namespace and writes the kubeconfig. Throws
   * {@link IllegalStateException} when the port is taken or a CRD cannot be read.
   */
  public static LocalApiServer start(Options options) {
    List<Path> crds = new ArrayList<>(options.crds);
    if (options.pluginCrd) {
      crds.add(0, pluginCrd(options.repositoryRoot));
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(options.host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown host " + options.host, e);
    }
    ApiServerDispatcher dispatcher = new ApiServerDispatcher(options.garbageCollection);
    registerBuiltInStatusSubresources(dispatcher.store());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2));
    HttpServer http =
        vertx.createHttpServer(
            new HttpServerOptions()
                .setHost(address.getHostAddress())
                .setPort(options.port)
                .setWebSocketSubProtocols(
                    List.of(
                        "v1.channel.k8s.io",
                        "v2.channel.k8s.io",
                        "v3.channel.k8s.io",
                        "v4.channel.k8s.io"))
                .setHandle100ContinueAutomatically(true));
    HttpWatches httpWatches = new HttpWatches(dispatcher, dispatcher.feed(), vertx);
    // fabric8's request handler turns requests into RecordedRequests for the dispatcher and
    // serves its websocket watches; kubectl's streaming HTTP watches are served here instead.
    HttpServerRequestHandler mock =
        new HttpServerRequestHandler(vertx) {
          @Override
          protected MockResponse onHttpRequest(RecordedRequest request) {
            return dispatcher.dispatch(request);
          }
        };
    http.requestHandler(
        request -> {
          if (httpWatches.accepts(request)) {
            httpWatches.serve(request);
          } else {
            mock.handle(request);
          }
        });
    try {
      http.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      vertx.close();
      throw new IllegalStateException(
          "cannot start the API server on "
              + options.host
              + ":"
              + options.port
              + ": "
              + (e.getCause() == null ? e : e.getCause()),
          e);
    }
    String url = "http://" + options.host + ":" + http.actualPort();
    dispatcher.serverAddress(options.host + ":" + http.actualPort());
    Path ownedDir = null;
    Path kubeconfig = options.kubeconfig;
    try {
      if (kubeconfig == null) {
        ownedDir = Files.createTempDirectory(options.parentDir, "corebus-apiserver-");
        kubeconfig = ownedDir.resolve("kubeconfig");
      }
      writeKubeconfig(kubeconfig, url, options.namespace);
      LocalApiServer server =
          new LocalApiServer(vertx, http, dispatcher, url, options.namespace, kubeconfig, ownedDir);
      try {
        for (Path crd : crds) {
          server.applyCrd(crd);
        }
        server.createNamespace("default");
        server.createNamespace(options.namespace);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      vertx.close();
      Directories.deleteRecursively(ownedDir);
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Pods, services and the like have a status subresource on a real server: updates of the object
   * keep the status, updates of /status keep the rest. The mock only does that for registered
   * kinds, so register the built-in ones.
   */
  private static void registerBuiltInStatusSubresources(ObjectStore store) {
    for (ApiDiscovery.Resource r : ApiDiscovery.of(List.of()).resources()) {
      if (r.subresources().contains("status")) {
        store.expectCustomResource(
            new CustomResourceDefinitionContext.Builder()
                .withGroup(r.group().isEmpty() ? null : r.group())
                .withVersion(r.version())
                .withPlural(r.plural())
                .withKind(r.kind())
                .withScope(r.namespaced() ? "Namespaced" : "Cluster")
                .withStatusSubresource(true)
                .build());
      }
    }
  }

  /** Creates (or replaces) a CRD from a YAML or JSON file. */
  public void applyCrd(Path file) {
    CustomResourceDefinition crd;
    try (InputStream in = Files.newInputStream(file)) {
      crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("cannot read the CRD " + file + ": " + e.getMessage(), e);
    }
    if (crd == null || crd.getSpec() == null) {
      throw new IllegalStateException(file + " is not a CustomResourceDefinition");
    }
    crd.getMetadata().setResourceVersion(null);
    client.apiextensions().v1().customResourceDefinitions().resource(crd).createOr(c -> c.update());
  }

  private void createNamespace(String name) {
    try {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
          .create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /**
   * The committed Plugin CRD: {@value #PLUGIN_CRD_PATH} under the given repository root, else under
   * the first directory above the working directory that holds it; else the copy in the crds jar.
   */
  public static Path pluginCrd(Path repositoryRoot) {
    List<Path> candidates = new ArrayList<>();
    if (repositoryRoot != null) {
      candidates.add(repositoryRoot.resolve(PLUGIN_CRD_PATH));
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      candidates.add(dir.resolve(PLUGIN_CRD_PATH));
    }
    Optional<Path> found = candidates.stream().filter(Files::isRegularFile).findFirst();
    if (found.isPresent()) {
      return found.get();
    }
    try (InputStream in =
        LocalApiServer.class.getClassLoader().getResourceAsStream(PLUGIN_CRD_RESOURCE)) {
      if (in != null) {
        Path copy = Files.createTempFile("plugins.corebus.io-", ".yml");
        copy.toFile().deleteOnExit();
        Files.write(copy, in.readAllBytes());
        return copy;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException(
        "cannot find the Plugin CRD: neither "
            + PLUGIN_CRD_PATH
            + " above "
            + Path.of("").toAbsolutePath()
            + " nor "
            + PLUGIN_CRD_RESOURCE
            + " on the classpath; pass Options.repositoryRoot");
  }

  /** Writes a kubeconfig whose current context points at {@code url} and {@code namespace}. */
  public static void writeKubeconfig(Path file, String url, String namespace) {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: corebus-local
          cluster:
            server: %s
        users:
        - name: corebus-local
          user:
            token: %s
        contexts:
        - name: corebus-local
          context:
            cluster: corebus-local
            user: corebus-local
            namespace: %s
        current-context: corebus-local
        preferences: {}
        """
            .formatted(url, TOKEN, namespace);
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(file, yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the kubeconfig " + file, e);
    }
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String url() {
    return url;
  }

  public int port() {
    return http.actualPort();
  }

  /** The namespace of the kubeconfig's context (created at start). */
  public String namespace() {
    return namespace;
  }

  /** The kubeconfig file: give it to kubectl ({@code --kubeconfig}) or as {@code KUBECONFIG}. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Client configuration for this server (no kubeconfig or environment is read). */
  public Config config() {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(url)
        .withNamespace(namespace)
        .withOauthToken(TOKEN)
        .withHttp2Disable(true)
        .build();
  }

  /** A client shared by the caller and the cluster's parts; closed with the server. */
  public KubernetesClient client() {
    return client;
  }

  /** A new client; the caller closes it. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  /** Serves {@code GET .../pods/<name>/log} from the files this source names. */
  public void servePodLogs(PodLogSource source) {
    dispatcher.podLogs(source);
  }

  /** How many streaming HTTP watches (kubectl, client-go) are open. */
  int httpWatches() {
    return dispatcher.feed().subscribers();
  }

  /** Waits until owner-reference garbage collection scheduled so far has run. */
  public void awaitGarbageCollection() {
    try {
      dispatcher.awaitCollection();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("garbage collection did not finish", e);
    }
  }

  @Override
  public void close() {
    try {
      client.close();
    } finally {
      dispatcher.shutdown();
      try {
        http.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // closing anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Directories.deleteRecursively(ownedDir);
    }
  }

  /** Where a pod's log file is, if its containers ever started. */
  @FunctionalInterface
  public interface PodLogSource {
    Optional<Path> logFile(String namespace, String pod);
  }

  /** How to start the server. */
  public static final class Options {
    private String host = "127.0.0.1";
    private int port;
    private String namespace = "default";
    private boolean pluginCrd = true;
    private Path repositoryRoot;
    private final List<Path> crds = new ArrayList<>();
    private Path kubeconfig;
    private Path parentDir = Path.of(System.getProperty("java.io.tmpdir"));
    private boolean garbageCollection = true;

    /** The address to listen on (default 127.0.0.1). */
    public Options host(String host) {
      this.host = host;
      return this;
    }

    /** The port to listen on; 0 (the default) picks a free one. */
    public Options port(int port) {
      this.port = port;
      return this;
    }

    /** The kubeconfig's namespace, created at start (default: {@code default}). */
    public Options namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /** Where to look for {@value #PLUGIN_CRD_PATH} first. */
    public Options repositoryRoot(Path repositoryRoot) {
      this.repositoryRoot = repositoryRoot;
      return this;
    }

    /** Whether to install the Corebus Plugin CRD (default true). */
    public Options pluginCrd(boolean install) {
      this.pluginCrd = install;
      return this;
    }

    /** Installs another CRD file at start. */
    public Options crd(Path file) {
      crds.add(file);
      return this;
    }

    /** Where to write the kubeconfig (default: a temporary directory removed on close). */
    public Options kubeconfig(Path file) {
      this.kubeconfig = file;
      return this;
    }

    /** Where the temporary directory is created (default: java.io.tmpdir). */
    public Options parentDir(Path parentDir) {
      this.parentDir = parentDir;
      return this;
    }

    /** Whether objects whose owners are all gone are deleted (default true, as on a cluster). */
    public Options garbageCollection(boolean enabled) {
      this.garbageCollection = enabled;
      return this;
    }
  }
}
