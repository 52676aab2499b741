package io.corebus.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The operator's own settings (prefix {@code corebus}); see application.properties. */
@ConfigMapping(prefix = "corebus")
public interface CorebusConfig {

  /** Image of the stock plugin runtime, used for Plugins with a jar artifact. */
  @WithDefault(OperatorSettings.DEFAULT_RUNTIME_IMAGE)
  String runtimeImage();

  /** The bus's Kafka cluster: how the operator and the runtimes reach it, and its topics. */
  Kafka kafka();

  /** Defaults for the pods the operator creates. */
  Pods pods();

  /** Rollout pacing. */
  Rollout rollout();

  /** Leader election (active in the prod profile). */
  LeaderElection leaderElection();

  /** How the runtimes' telemetry is aggregated. */
  Telemetry telemetry();

  /** How often and how the operator scales autoscaled plug-ins. */
  Autoscaling autoscaling();

  interface Telemetry {
    /** How far back qps, error rate and p99 latency look (a sliding window). */
    @WithDefault("30s")
    Duration window();

    /**
     * A runtime whose last report is older than this is stale: the autoscaler does not scale in on
     * figures that miss it. Runtimes report once a second.
     */
    @WithDefault("10s")
    Duration staleAfter();

    /** How often the telemetry reader looks for the telemetry topics of new namespaces. */
    @WithDefault("10s")
    Duration discoveryInterval();
  }

  interface Autoscaling {
    /** How often an autoscaled Plugin (Qps, Lag, QpsAndLag) is evaluated. */
    @WithDefault("5s")
    Duration syncPeriod();

    /**
     * Status figures (qps, lag, p99LatencyMs, errorRate) are written at most this often per Plugin,
     * and only when they changed beyond rounding.
     */
    @WithDefault("15s")
    Duration statusInterval();
  }

  interface Kafka {
    /**
     * Bootstrap servers, used by the operator and handed to every runtime. Without it the operator
     * runs but reports every Plugin as Ready=False (KafkaBootstrapMissing).
     */
    Optional<String> bootstrapServers();

    /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
    @WithDefault("PLAINTEXT")
    String securityProtocol();

    /** TLS stores (security protocols SSL and SASL_SSL). */
    Tls tls();

    /** SASL credentials (security protocols SASL_PLAINTEXT and SASL_SSL). */
    Sasl sasl();

    /**
     * How long one Admin request may take. Short on purpose: reconciles call Kafka, and an outage
     * must not hold a reconcile thread for long.
     */
    @WithDefault("5s")
    Duration requestTimeout();

    /** How long one Admin operation may take, retries included (at least request-timeout). */
    @WithDefault("8s")
    Duration apiTimeout();

    /**
     * How often the operator asks Kafka for its brokers in the background, so corebus_kafka_up
     * follows an outage even when no reconcile needs Kafka.
     */
    @WithDefault("30s")
    Duration probeInterval();

    /** Back-off between attempts while Kafka is unreachable: doubles from initial up to max. */
    RetryBackoff retryBackoff();

    /** Topics the operator creates. */
    Topics topics();

    /** The secured bus: a principal, ACLs and signing keys per plug-in. */
    Security security();

    /**
     * Extra Kafka client properties, applied last to the Admin client and to the route table's
     * producer and reader (for example {@code
     * corebus.kafka.properties."sasl.login.callback.handler.class"}).
     */
    Map<String, String> properties();
  }

  interface Tls {
    Store truststore();

    Store keystore();

    /** Password of the key in the keystore, when it differs from the keystore's. */
    Optional<String> keyPassword();

    /** Checks the broker's host name against its certificate. */
    @WithDefault("true")
    boolean hostnameVerification();
  }

  interface Store {
    /** The store file (PKCS12, JKS or PEM). */
    Optional<Path> location();

    @WithDefault("PKCS12")
    String type();

    /** The store's password; or {@code password-file}, read on every (re)connect. */
    Optional<String> password();

    Optional<Path> passwordFile();
  }

  interface Sasl {
    /** PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, ... (PLAIN when only a user is set). */
    Optional<String> mechanism();

    /** A complete sasl.jaas.config; or {@code jaas-config-file}. Not together with username. */
    Optional<String> jaasConfig();

    Optional<Path> jaasConfigFile();

    /** For PLAIN and SCRAM: the user; the password comes from password or password-file. */
    Optional<String> username();

    Optional<String> password();

    Optional<Path> passwordFile();
  }

  interface Security {
    /**
     * Gives every plug-in its own Kafka user (SCRAM-SHA-512, password in the Secret {@code
     * <plugin>-kafka} mounted into its pods), ACLs that let it read only its own requests, replies
     * and subscriptions and write only to services that admit it, and a key that signs its calls
     * (callees deny unsigned or forged calls). Needs security-protocol SASL_PLAINTEXT or SASL_SSL
     * and an operator principal that may manage users and ACLs. Off by default (a broker without
     * authentication).
     */
    @WithDefault("false")
    boolean managePrincipals();

    /**
     * A PEM file with the CA certificates the runtimes trust (SASL_SSL): copied into each Secret.
     */
    Optional<Path> runtimeCaFile();

    /** The broker's users, ACLs and keys are checked again this often even when nothing changed. */
    @WithDefault("5m")
    Duration recheckInterval();
  }

  interface RetryBackoff {
    @WithDefault("1s")
    Duration initial();

    @WithDefault("30s")
    Duration max();
  }

  interface Topics {
    /** Replication factor of new topics; default min(3, number of brokers). */
    Optional<Integer> replicationFactor();

    /** min.insync.replicas of new topics; default 2 with 3 or more replicas, else 1. */
    Optional<Integer> minInsyncReplicas();

    /** Fewest partitions of a request topic (it gets at least the provider's replicas.max). */
    @WithDefault("3")
    int minRequestPartitions();

    /** Fewest partitions of an event topic (it gets at least each subscriber's replicas.max). */
    @WithDefault("3")
    int eventPartitions();

    /** retention.ms of the telemetry topic: figures older than this are useless. */
    @WithDefault("1h")
    Duration telemetryRetention();

    /**
     * Topics found as desired are checked again after this long even when nothing changed (a topic
     * deleted behind the operator's back comes back then).
     */
    @WithDefault("5m")
    Duration recheckInterval();

    /**
     * How long a deleted plug-in's request topics are kept while they still hold requests its
     * consumer group never processed (a new provider may still take them over); then they are
     * deleted anyway, with a Warning event.
     */
    @WithDefault("2m")
    Duration drainTimeout();
  }

  interface Pods {
    /** Seconds a runtime gets to drain in-flight work before it is killed. */
    @WithDefault("30")
    long terminationGracePeriodSeconds();

    /** Resources for Plugins that set no spec.resources. */
    DefaultResources defaultResources();
  }

  interface DefaultResources {
    @WithDefault("100m")
    Optional<String> cpuRequest();

    @WithDefault("256Mi")
    Optional<String> memoryRequest();

    Optional<String> cpuLimit();

    @WithDefault("512Mi")
    Optional<String> memoryLimit();
  }

  interface Rollout {
    /**
     * A rollout advances on pod events; this is only the backstop re-check while it waits for a pod
     * to become Ready.
     */
    @WithDefault("30s")
    Duration recheckInterval();
  }

  interface LeaderElection {
    @WithDefault("corebus-operator-lock")
    String leaseName();

    /** Namespace of the Lease; empty means the operator's own namespace. */
    Optional<String> leaseNamespace();
  }
}
