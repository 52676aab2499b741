package io.corebus.runtime.config;

import io.corebus.crds.RuntimeContract;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The runtime's settings. The operator sets the first group as environment variables named in
 * {@link RuntimeContract} ({@code COREBUS_PLUGIN_NAME} is {@code corebus.plugin-name}, and so on);
 * the rest are tuning knobs with defaults that suit a pod.
 */
@ConfigMapping(prefix = "corebus")
public interface RuntimeConfig {

  /** {@value RuntimeContract#ENV_PLUGIN_NAME}: the Plugin resource's name. */
  String pluginName();

  /** {@value RuntimeContract#ENV_NAMESPACE}. */
  @WithDefault("default")
  String namespace();

  /** {@value RuntimeContract#ENV_PLUGIN_VERSION}: spec.version, compared with Plugin.version(). */
  Optional<String> pluginVersion();

  /** {@value RuntimeContract#ENV_REVISION}: the pod template's revision hash. */
  Optional<String> revision();

  /**
   * {@value RuntimeContract#ENV_POD_NAME}: names this instance's reply slot; else the host name.
   */
  Optional<String> podName();

  /** {@value RuntimeContract#ENV_POD_IP}. */
  Optional<String> podIp();

  /** {@value RuntimeContract#ENV_JAR_URL}: set for jar artifacts. */
  Optional<String> jarUrl();

  /** {@value RuntimeContract#ENV_JAR_SHA256}: set with the jar URL. */
  Optional<String> jarSha256();

  /**
   * {@value RuntimeContract#ENV_HOT_SWAP}: follow the control topic and swap the jar in place when
   * the operator asks for another one.
   */
  @WithDefault("false")
  boolean hotSwap();

  /** {@value RuntimeContract#ENV_PROVIDES}: services the plug-in must register. */
  Optional<List<String>> provides();

  /** {@value RuntimeContract#ENV_SUBSCRIBES}. */
  Optional<List<String>> subscribes();

  /** {@value RuntimeContract#ENV_PUBLISHES}. */
  Optional<List<String>> publishes();

  /** {@value RuntimeContract#ENV_REQUIRES}. */
  Optional<List<String>> requires();

  /** {@value RuntimeContract#ENV_ALLOWED_CALLERS}: service=callerA,callerB;... */
  Optional<String> allowedCallers();

  /** {@value RuntimeContract#ENV_REQUEST_TOPICS}: service=topic;... (else the usual names). */
  Optional<String> requestTopics();

  /**
   * Port of the direct gRPC server for hybrid routes ({@link RuntimeContract#GRPC_PORT}); -1 turns
   * it off.
   */
  @WithDefault("9090")
  int grpcPort();

  /**
   * Address the direct gRPC server binds (env {@code COREBUS_GRPC_HOST}); all interfaces when
   * unset. The local cluster sets the pod's own loopback IP: its pods share one network stack.
   */
  Optional<String> grpcHost();

  /** {@value RuntimeContract#ENV_KAFKA_BOOTSTRAP}. */
  String kafkaBootstrap();

  /** {@value RuntimeContract#ENV_KAFKA_SECURITY_PROTOCOL}: PLAINTEXT unless the bus is secured. */
  @WithDefault("PLAINTEXT")
  String kafkaSecurityProtocol();

  /** {@value RuntimeContract#ENV_KAFKA_SASL_MECHANISM}: with a SASL protocol. */
  Optional<String> kafkaSaslMechanism();

  /**
   * {@value RuntimeContract#ENV_KAFKA_CREDENTIALS_DIR}: the mounted credentials Secret (user name,
   * password, signing key, CA).
   */
  Optional<Path> kafkaCredentialsDir();

  /**
   * {@value RuntimeContract#ENV_REQUIRE_SIGNED_CALLS}: deny every call whose signature does not
   * prove its caller.
   */
  @WithDefault("false")
  boolean requireSignedCalls();

  /** {@value RuntimeContract#ENV_CONFIG_DIR}: one file per key, watched for changes. */
  @WithDefault(RuntimeContract.CONFIG_MOUNT_PATH)
  Path configDir();

  /** How often the configuration directory is read for changes. */
  @WithDefault("2s")
  Duration configPollInterval();

  /** Where an image built FROM the runtime image keeps its plug-in jar(s). */
  @WithDefault(RuntimeContract.IMAGE_PLUGIN_DIR)
  Path pluginDir();

  /** Where a downloaded jar is stored. */
  @WithDefault("${java.io.tmpdir}/corebus-plugin")
  Path downloadDir();

  /** Timeout of one download attempt of the plug-in jar. */
  @WithDefault("60s")
  Duration downloadTimeout();

  /** Attempts to download the jar (on network errors and HTTP 5xx/429). */
  @WithDefault("3")
  int downloadAttempts();

  /**
   * After a hot swap failed because its jar could not be downloaded (all attempts: server
   * unreachable, HTTP 5xx/429), the delay before it is tried again; doubled at every further
   * failure up to {@link #swapRetryMax()}.
   */
  @WithDefault("5s")
  Duration swapRetryBase();

  /** The longest delay between two tries of a hot swap whose jar could not be downloaded. */
  @WithDefault("5m")
  Duration swapRetryMax();

  /**
   * Where the reason of a failed start is written, for Kubernetes to show in the pod's status
   * (terminationMessagePath).
   */
  @WithDefault("/dev/termination-log")
  Path terminationMessagePath();

  /** Bus tuning. */
  Bus bus();

  interface Bus {
    /** Prefix of all topic and group names (see BusTopics). */
    @WithDefault("corebus")
    String topicPrefix();

    /** Deadline of an outgoing call that sets none. */
    @WithDefault("30s")
    Duration defaultDeadline();

    /** Attempts of a call that fails with UNAVAILABLE, the first included. */
    @WithDefault("3")
    int maxAttempts();

    /** Calls and events handled at the same time; more are left in Kafka until one finishes. */
    @WithDefault("64")
    int maxInFlight();

    /** On shutdown, how long in-flight calls and events may take to finish. */
    @WithDefault("20s")
    Duration drainTimeout();

    /** How long a completed call's reply is kept to answer a retry of it without re-executing. */
    @WithDefault("5m")
    Duration idempotencyWindow();

    /** Producer linger on the request and reply path: 0 sends at once. */
    @WithDefault("0")
    int lingerMs();

    /**
     * How long a request or event consumer may go without a heartbeat before the group gives its
     * partitions to the other replicas: what a replica killed outright stalls its partitions for.
     */
    @WithDefault("10s")
    Duration sessionTimeout();

    /** Attempts to handle an event before it goes to the dead-letter topic. */
    @WithDefault("3")
    int eventAttempts();
  }
}
