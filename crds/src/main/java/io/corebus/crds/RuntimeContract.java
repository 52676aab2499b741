package io.corebus.crds;

/**
 * What the operator hands to a plugin-runtime pod, and what it expects back. This is the API
 * between the Core System and the runtime, so both sides read these names from here.
 */
public final class RuntimeContract {
  private RuntimeContract() {}

  // Environment of the runtime container.
  public static final String ENV_PLUGIN_NAME = "COREBUS_PLUGIN_NAME";
  public static final String ENV_NAMESPACE = "COREBUS_NAMESPACE";
  public static final String ENV_PLUGIN_VERSION = "COREBUS_PLUGIN_VERSION";
  public static final String ENV_REVISION = "COREBUS_REVISION";
  public static final String ENV_POD_NAME = "COREBUS_POD_NAME";
  public static final String ENV_POD_IP = "COREBUS_POD_IP";

  /** Set for jar artifacts: where the stock runtime downloads the plug-in from. */
  public static final String ENV_JAR_URL = "COREBUS_JAR_URL";

  /** Set for jar artifacts: the jar's expected SHA-256, 64 lower-case hex characters. */
  public static final String ENV_JAR_SHA256 = "COREBUS_JAR_SHA256";

  /** Comma-separated full names of the gRPC services the plug-in provides. */
  public static final String ENV_PROVIDES = "COREBUS_PROVIDES";

  /**
   * {@code true} for Plugins with rollout strategy HotSwap: the runtime follows the namespace's
   * control topic and swaps its jar in place when the operator asks for another one.
   */
  public static final String ENV_HOT_SWAP = "COREBUS_HOT_SWAP";

  /** Comma-separated event types the plug-in subscribes to. */
  public static final String ENV_SUBSCRIBES = "COREBUS_SUBSCRIBES";

  /** Comma-separated event types the plug-in publishes. */
  public static final String ENV_PUBLISHES = "COREBUS_PUBLISHES";

  /** Comma-separated full names of the services the plug-in calls. */
  public static final String ENV_REQUIRES = "COREBUS_REQUIRES";

  /**
   * Who may call which provided service ({@code provides[].allowedCallers}), formatted by
   * io.corebus.bus.protocol.AllowedCallers: {@code service=callerA,callerB;service2=callerC}.
   * Services not listed, or an unset variable, admit any caller.
   */
  public static final String ENV_ALLOWED_CALLERS = "COREBUS_ALLOWED_CALLERS";

  /**
   * The Kafka topic to consume for each provided service, formatted by
   * io.corebus.bus.protocol.RequestTopics: {@code service=topic;service2=topic2}; the same topic
   * the operator puts in this version's route. Services not listed use the conventional name
   * (BusTopics.requests).
   */
  public static final String ENV_REQUEST_TOPICS = "COREBUS_REQUEST_TOPICS";

  public static final String ENV_KAFKA_BOOTSTRAP = "COREBUS_KAFKA_BOOTSTRAP";

  /** PLAINTEXT (unset), SSL, SASL_PLAINTEXT or SASL_SSL: how the runtime's clients connect. */
  public static final String ENV_KAFKA_SECURITY_PROTOCOL = "COREBUS_KAFKA_SECURITY_PROTOCOL";

  /** The SASL mechanism with a SASL protocol, such as SCRAM-SHA-512. */
  public static final String ENV_KAFKA_SASL_MECHANISM = "COREBUS_KAFKA_SASL_MECHANISM";

  /**
   * Directory of the mounted credentials Secret of the plug-in ({@link #KAFKA_CREDENTIALS_PATH}):
   * files {@link #KAFKA_USERNAME_FILE}, {@link #KAFKA_PASSWORD_FILE}, {@link #SIGNING_KEY_FILE}
   * and, with TLS, {@link #KAFKA_CA_FILE}. Passwords and keys never travel in the environment.
   */
  public static final String ENV_KAFKA_CREDENTIALS_DIR = "COREBUS_KAFKA_CREDENTIALS_DIR";

  /**
   * {@code true} on a secured bus: every call must carry a valid signature of its caller (see
   * io.corebus.bus.protocol.CallSignature), else it is denied with PERMISSION_DENIED.
   */
  public static final String ENV_REQUIRE_SIGNED_CALLS = "COREBUS_REQUIRE_SIGNED_CALLS";

  /** Where the plug-in's credentials Secret ({@code <plugin>-kafka}) is mounted. */
  public static final String KAFKA_CREDENTIALS_PATH = "/etc/corebus/kafka";

  /** Keys of the credentials Secret, and so file names below {@link #KAFKA_CREDENTIALS_PATH}. */
  public static final String KAFKA_USERNAME_FILE = "username";

  public static final String KAFKA_PASSWORD_FILE = "password";

  /** Base64 PKCS#8 Ed25519 private key that signs the plug-in's calls. */
  public static final String SIGNING_KEY_FILE = "signing-key";

  /** PEM CA certificates to trust for the brokers' TLS certificates (TLS only). */
  public static final String KAFKA_CA_FILE = "ca.crt";

  /**
   * Where the runtime writes its termination message: the container's terminationMessagePath,
   * passed explicitly so that a kubelet which cannot mount a file there (the local cluster's) can
   * point it elsewhere.
   */
  public static final String ENV_TERMINATION_MESSAGE_PATH = "COREBUS_TERMINATION_MESSAGE_PATH";

  /** The runtime container's terminationMessagePath (Kubernetes' default). */
  public static final String TERMINATION_MESSAGE_PATH = "/dev/termination-log";

  /** Directory holding spec.config, one file per key (a mounted ConfigMap); watched for changes. */
  public static final String ENV_CONFIG_DIR = "COREBUS_CONFIG_DIR";

  /** Prefix reserved for the variables above; spec.env may not use it. */
  public static final String RESERVED_ENV_PREFIX = "COREBUS_";

  /** Where the ConfigMap with spec.config is mounted. */
  public static final String CONFIG_MOUNT_PATH = "/etc/corebus/config";

  /** Where an image built FROM the runtime image keeps its plug-in jar(s). */
  public static final String IMAGE_PLUGIN_DIR = "/deployments/plugin";

  /** The runtime container's name in every plug-in pod. */
  public static final String CONTAINER_NAME = "plugin-runtime";

  /** HTTP: health, metrics. */
  public static final int HTTP_PORT = 8080;

  /** Direct gRPC, for services whose transport is hybrid. */
  public static final int GRPC_PORT = 9090;

  public static final String READINESS_PATH = "/q/health/ready";
  public static final String LIVENESS_PATH = "/q/health/live";
  public static final String STARTUP_PATH = "/q/health/started";
  public static final String METRICS_PATH = "/q/metrics";

  // The runtime's termination message. A runtime that cannot load or start its plug-in writes
  // "<Reason>: <text for people>" to the container's termination message file and exits 1; the
  // kubelet copies it into the container status, and the operator turns the Reason into the
  // Plugin's Ready/Degraded reason. Reasons are single CamelCase words, listed here.

  /** Separates the reason from the text in a termination message. */
  public static final String TERMINATION_SEPARATOR = ": ";

  /** spec.artifact.jar.sha256 is not 64 lower-case hex characters. */
  public static final String FAILURE_INVALID_CHECKSUM = "InvalidChecksum";

  /** The downloaded jar's SHA-256 differs from spec.artifact.jar.sha256. */
  public static final String FAILURE_CHECKSUM_MISMATCH = "ChecksumMismatch";

  /** The jar URL is not http, https or file, or not a URL. */
  public static final String FAILURE_UNSUPPORTED_URL = "UnsupportedUrl";

  /** The jar could not be fetched (connection refused, HTTP 404, timeout...). */
  public static final String FAILURE_DOWNLOAD_FAILED = "DownloadFailed";

  /** An image artifact holds no jar in {@link #IMAGE_PLUGIN_DIR}. */
  public static final String FAILURE_NO_PLUGIN_JAR = "NoPluginJar";

  /** The jar declares no io.corebus.plugin.Plugin implementation. */
  public static final String FAILURE_NO_PLUGIN = "NoPlugin";

  /** The jar declares more than one Plugin implementation. */
  public static final String FAILURE_AMBIGUOUS_PLUGIN = "AmbiguousPlugin";

  /** The Plugin implementation could not be instantiated, or its version() threw. */
  public static final String FAILURE_PLUGIN_INSTANTIATION_FAILED = "PluginInstantiationFailed";

  /** The plug-in's start() threw, or connecting it to the bus failed. */
  public static final String FAILURE_START_FAILED = "StartFailed";

  /** A service in spec.provides has no implementation registered by the plug-in. */
  public static final String FAILURE_SERVICE_NOT_IMPLEMENTED = "ServiceNotImplemented";

  /** {@link #ENV_ALLOWED_CALLERS} could not be parsed. */
  public static final String FAILURE_INVALID_ALLOWED_CALLERS = "InvalidAllowedCallers";

  /** {@link #ENV_REQUEST_TOPICS} could not be parsed. */
  public static final String FAILURE_INVALID_REQUEST_TOPICS = "InvalidRequestTopics";

  /**
   * The termination message for a failure: {@code reason + ": " + text}. The runtime has only the
   * constants of this class at run time (crds is compile-only there), so it writes the same string
   * itself.
   */
  public static String terminationMessage(String reason, String text) {
    return reason + TERMINATION_SEPARATOR + text;
  }

  /**
   * The reason a termination message starts with, or null when it does not start with a CamelCase
   * word followed by {@link #TERMINATION_SEPARATOR} (a message from something else, such as a JVM
   * that died before the runtime ran).
   */
  public static String terminationReason(String message) {
    if (message == null) {
      return null;
    }
    String m = message.strip();
    int end = m.indexOf(TERMINATION_SEPARATOR);
    if (end < 2 || end > 64 || !Character.isUpperCase(m.charAt(0))) {
      return null;
    }
    for (int i = 0; i < end; i++) {
      if (!Character.isLetterOrDigit(m.charAt(i)) || m.charAt(i) > 127) {
        return null;
      }
    }
    return m.substring(0, end);
  }

  /** The text after the reason, or the whole message when it has no reason. */
  public static String terminationText(String message) {
    if (message == null) {
      return "";
    }
    String m = message.strip();
    String reason = terminationReason(m);
    return reason == null ? m : m.substring(reason.length() + TERMINATION_SEPARATOR.length());
  }
}
