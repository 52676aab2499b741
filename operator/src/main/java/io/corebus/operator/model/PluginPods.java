package io.corebus.operator.model;

import io.corebus.bus.protocol.AllowedCallers;
import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds the pods of a plug-in, with no I/O: {@code PluginPods.desired(plugin, revision, ordinal,
 * settings)} is the whole contract between a {@link Plugin} and what runs. The runtime container
 * gets the {@link RuntimeContract} environment, ports and probes and a security context meeting Pod
 * Security "restricted"; spec.podTemplate is then merged in (labels, scheduling, volumes,
 * sidecars...) without being allowed to undo any of that. {@code PodTemplateRules} rejects the
 * overrides this class would otherwise silently ignore.
 */
public final class PluginPods {
  private PluginPods() {}

  public static final String HTTP_PORT_NAME = "http";
  public static final String GRPC_PORT_NAME = "grpc";
  public static final String TMP_PATH = "/tmp";
  public static final String RUNTIME_DEFAULT = "RuntimeDefault";

  /** The one capability Pod Security "restricted" lets a container add. */
  public static final String NET_BIND_SERVICE = "NET_BIND_SERVICE";

  public static Pod desired(
      Plugin plugin, String revision, int ordinal, OperatorSettings settings) {
    PluginSpec spec = plugin.getSpec();
    PodTemplateSpec template = spec.getPodTemplate();
    ObjectMeta templateMeta = template == null ? null : template.getMetadata();
    PodSpec templateSpec = template == null ? null : template.getSpec();

    Map<String, String> labels = new LinkedHashMap<>();
    if (templateMeta != null && templateMeta.getLabels() != null) {
      labels.putAll(templateMeta.getLabels());
    }
    labels.putAll(PluginNames.podLabels(plugin, revision, ordinal));
    Map<String, String> annotations = new LinkedHashMap<>();
    if (templateMeta != null && templateMeta.getAnnotations() != null) {
      annotations.putAll(templateMeta.getAnnotations());
    }

    ObjectMeta meta =
        new ObjectMetaBuilder()
            .withName(PluginNames.pod(plugin, revision, ordinal))
            .withNamespace(plugin.getMetadata().getNamespace())
            .withLabels(labels)
            .withAnnotations(annotations.isEmpty() ? null : annotations)
            .withOwnerReferences(ownerReference(plugin))
            .build();

    return new PodBuilder()
        .withMetadata(meta)
        .withSpec(podSpec(plugin, revision, settings, templateSpec))
        .build();
  }

  /** The Plugin as controlling owner: garbage collection on a real cluster, and event mapping. */
  public static OwnerReference ownerReference(Plugin plugin) {
    return new OwnerReferenceBuilder()
        .withApiVersion(plugin.getApiVersion())
        .withKind(plugin.getKind())
        .withName(plugin.getMetadata().getName())
        .withUid(plugin.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** spec.resources, or the operator's defaults when the Plugin sets none. */
  public static ResourceRequirements effectiveResources(
      PluginSpec spec, OperatorSettings settings) {
    ResourceRequirements r = spec.getResources();
    boolean empty =
        r == null
            || ((r.getRequests() == null || r.getRequests().isEmpty())
                && (r.getLimits() == null || r.getLimits().isEmpty()));
    return empty ? settings.defaultResources() : r;
  }

  private static PodSpec podSpec(
      Plugin plugin, String revision, OperatorSettings settings, PodSpec template) {
    // Start from the template so every scheduling field it sets (nodeSelector, tolerations,
    // affinity, serviceAccountName, priorityClassName, topologySpreadConstraints, ...) carries
    // over; then set what the operator owns.
    PodSpecBuilder b = template == null ? new PodSpecBuilder() : new PodSpecBuilder(template);

    Container runtimeOverlay = template == null ? null : runtimeOverlay(template);
    List<Container> containers = new ArrayList<>();
    containers.add(runtimeContainer(plugin, revision, settings, runtimeOverlay));
    if (template != null && template.getContainers() != null) {
      template.getContainers().stream()
          .filter(c -> !RuntimeContract.CONTAINER_NAME.equals(c.getName()))
          .map(PluginPods::hardened)
          .forEach(containers::add);
    }
    List<Container> initContainers =
        template == null || template.getInitContainers() == null
            ? List.of()
            : template.getInitContainers().stream().map(PluginPods::hardened).toList();

    List<Volume> volumes = new ArrayList<>();
    volumes.add(
        new VolumeBuilder()
            .withName(PluginNames.CONFIG_VOLUME)
            .withNewConfigMap()
            .withName(PluginNames.configMap(plugin))
            .endConfigMap()
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName(PluginNames.TMP_VOLUME)
            .withNewEmptyDir()
            .endEmptyDir()
            .build());
    if (template != null && template.getVolumes() != null) {
      volumes.addAll(template.getVolumes());
    }

    Long grace =
        template != null && template.getTerminationGracePeriodSeconds() != null
            ? template.getTerminationGracePeriodSeconds()
            : settings.terminationGracePeriodSeconds();

    return b.withContainers(containers)
        .withInitContainers(initContainers.isEmpty() ? null : initContainers)
        .withVolumes(volumes)
        .withSecurityContext(
            podSecurityContext(template == null ? null : template.getSecurityContext()))
        .withTerminationGracePeriodSeconds(grace)
        .withRestartPolicy("Always")
        .withHostNetwork(null)
        .withHostPID(null)
        .withHostIPC(null)
        .withAutomountServiceAccountToken(
            template != null && template.getAutomountServiceAccountToken() != null
                ? template.getAutomountServiceAccountToken()
                : Boolean.FALSE)
        .withEnableServiceLinks(
            template != null && template.getEnableServiceLinks() != null
                ? template.getEnableServiceLinks()
                : Boolean.FALSE)
        .build();
  }

  /** The podTemplate container named like the runtime, if any: an overlay, not a container. */
  static Container runtimeOverlay(PodSpec template) {
    if (template.getContainers() == null) {
      return null;
    }
    return template.getContainers().stream()
        .filter(c -> RuntimeContract.CONTAINER_NAME.equals(c.getName()))
        .findFirst()
        .orElse(null);
  }

  private static Container runtimeContainer(
      Plugin plugin, String revision, OperatorSettings settings, Container overlay) {
    PluginSpec spec = plugin.getSpec();
    List<EnvVar> env = new ArrayList<>(runtimeEnv(plugin, revision, settings));
    if (spec.getEnv() != null) {
      env.addAll(spec.getEnv());
    }
    List<VolumeMount> mounts = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName(PluginNames.CONFIG_VOLUME)
            .withMountPath(RuntimeContract.CONFIG_MOUNT_PATH)
            .withReadOnly(true)
            .build());
    mounts.add(
        new VolumeMountBuilder().withName(PluginNames.TMP_VOLUME).withMountPath(TMP_PATH).build());

    ContainerBuilder c = new ContainerBuilder();
    if (overlay != null) {
      // Allowed overlay fields (PodTemplateRules rejects the rest): env, envFrom, volumeMounts,
      // imagePullPolicy, workingDir and a security context that does not weaken ours.
      if (overlay.getEnv() != null) {
        env.addAll(overlay.getEnv());
      }
      if (overlay.getVolumeMounts() != null) {
        mounts.addAll(overlay.getVolumeMounts());
      }
      c.withEnvFrom(overlay.getEnvFrom())
          .withImagePullPolicy(overlay.getImagePullPolicy())
          .withWorkingDir(overlay.getWorkingDir());
    }
    return c.withName(RuntimeContract.CONTAINER_NAME)
        .withImage(image(spec.getArtifact(), settings))
        .withEnv(env)
        .withPorts(ports())
        .withReadinessProbe(probe(RuntimeContract.READINESS_PATH, 5, 3))
        .withLivenessProbe(probe(RuntimeContract.LIVENESS_PATH, 10, 3))
        // Up to 3 minutes to download and verify a jar and start consuming.
        .withStartupProbe(probe(RuntimeContract.STARTUP_PATH, 2, 90))
        .withResources(effectiveResources(spec, settings))
        .withVolumeMounts(mounts)
        .withSecurityContext(
            restrictedContainerSecurity(
                overlay == null ? null : overlay.getSecurityContext(), true))
        .build();
  }

  /** An image artifact runs as is; a jar runs in the operator's stock runtime image. */
  public static String image(Artifact artifact, OperatorSettings settings) {
    return artifact != null && artifact.getImage() != null
        ? artifact.getImage()
        : settings.runtimeImage();
  }

  /** The {@link RuntimeContract} environment, in a fixed order. */
  static List<EnvVar> runtimeEnv(Plugin plugin, String revision, OperatorSettings settings) {
    PluginSpec spec = plugin.getSpec();
    List<EnvVar> env = new ArrayList<>();
    env.add(value(RuntimeContract.ENV_PLUGIN_NAME, plugin.getMetadata().getName()));
    env.add(value(RuntimeContract.ENV_NAMESPACE, plugin.getMetadata().getNamespace()));
    env.add(value(RuntimeContract.ENV_PLUGIN_VERSION, spec.getVersion()));
    env.add(value(RuntimeContract.ENV_REVISION, revision));
    env.add(field(RuntimeContract.ENV_POD_NAME, "metadata.name"));
    env.add(field(RuntimeContract.ENV_POD_IP, "status.podIP"));
    if (spec.getArtifact() != null && spec.getArtifact().getJar() != null) {
      env.add(value(RuntimeContract.ENV_JAR_URL, spec.getArtifact().getJar().getUrl()));
      env.add(value(RuntimeContract.ENV_JAR_SHA256, spec.getArtifact().getJar().getSha256()));
    }
    // true: the jar above is only what the pod starts with; the control topic says what it runs.
    env.add(value(RuntimeContract.ENV_HOT_SWAP, Boolean.toString(PluginRevision.hotSwaps(spec))));
    env.add(
        value(
            RuntimeContract.ENV_PROVIDES,
            join(
                spec.getProvides() == null
                    ? List.of()
                    : spec.getProvides().stream().map(ProvidedService::getService).toList())));
    env.add(value(RuntimeContract.ENV_ALLOWED_CALLERS, allowedCallers(spec).format()));
    env.add(value(RuntimeContract.ENV_REQUEST_TOPICS, requestTopics(plugin).format()));
    env.add(value(RuntimeContract.ENV_SUBSCRIBES, join(spec.getSubscribes())));
    env.add(value(RuntimeContract.ENV_PUBLISHES, join(spec.getPublishes())));
    env.add(value(RuntimeContract.ENV_REQUIRES, join(spec.getRequires())));
    env.add(value(RuntimeContract.ENV_KAFKA_BOOTSTRAP, settings.kafkaBootstrap().orElse("")));
    env.add(value(RuntimeContract.ENV_CONFIG_DIR, RuntimeContract.CONFIG_MOUNT_PATH));
    env.add(
        value(
            RuntimeContract.ENV_TERMINATION_MESSAGE_PATH,
            RuntimeContract.TERMINATION_MESSAGE_PATH));
    return env;
  }

  /**
   * The request topic of each provided service: what the pods consume ({@code
   * COREBUS_REQUEST_TOPICS}) and what the services' routes name, so callers and callee agree.
   */
  public static RequestTopics requestTopics(Plugin plugin) {
    BusTopics topics = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    Map<String, String> byService = new LinkedHashMap<>();
    if (plugin.getSpec().getProvides() != null) {
      for (ProvidedService p : plugin.getSpec().getProvides()) {
        if (p.getService() != null) {
          byService.put(p.getService(), topics.requests(p.getService()));
        }
      }
    }
    return RequestTopics.of(byService);
  }

  /** provides[].allowedCallers; services with an empty list admit anyone and are left out. */
  static AllowedCallers allowedCallers(PluginSpec spec) {
    Map<String, List<String>> byService = new LinkedHashMap<>();
    if (spec.getProvides() != null) {
      for (ProvidedService p : spec.getProvides()) {
        if (p.getService() != null && p.getAllowedCallers() != null) {
          byService.put(p.getService(), p.getAllowedCallers());
        }
      }
    }
    return AllowedCallers.of(byService);
  }

  private static String join(List<String> values) {
    return values == null ? "" : values.stream().collect(Collectors.joining(","));
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value == null ? "" : value).build();
  }

  private static EnvVar field(String name, String fieldPath) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewFieldRef()
        .withFieldPath(fieldPath)
        .endFieldRef()
        .endValueFrom()
        .build();
  }

  private static List<ContainerPort> ports() {
    return List.of(
        new ContainerPortBuilder()
            .withName(HTTP_PORT_NAME)
            .withContainerPort(RuntimeContract.HTTP_PORT)
            .withProtocol("TCP")
            .build(),
        new ContainerPortBuilder()
            .withName(GRPC_PORT_NAME)
            .withContainerPort(RuntimeContract.GRPC_PORT)
            .withProtocol("TCP")
            .build());
  }

  private static Probe probe(String path, int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(path)
        .withPort(new IntOrString(HTTP_PORT_NAME))
        .endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withTimeoutSeconds(2)
        .withFailureThreshold(failureThreshold)
        .build();
  }

  /** Pod-level: non-root and the runtime's default seccomp profile, whatever the template says. */
  static PodSecurityContext podSecurityContext(PodSecurityContext template) {
    PodSecurityContextBuilder b =
        template == null
            ? new PodSecurityContextBuilder()
            : new PodSecurityContextBuilder(template);
    b.withRunAsNonRoot(true);
    if (template == null || !isAllowedSeccomp(template.getSeccompProfile())) {
      b.withSeccompProfile(runtimeDefaultSeccomp());
    }
    return b.build();
  }

  /**
   * A container security context meeting Pod Security "restricted": no privilege escalation, all
   * capabilities dropped (NET_BIND_SERVICE may be added back), non-root, default seccomp. The
   * runtime container also gets a read-only root file system (its /tmp is an emptyDir).
   */
  static SecurityContext restrictedContainerSecurity(SecurityContext overlay, boolean runtime) {
    SecurityContextBuilder b =
        overlay == null ? new SecurityContextBuilder() : new SecurityContextBuilder(overlay);
    b.withPrivileged(null).withAllowPrivilegeEscalation(false);
    List<String> add =
        overlay == null
                || overlay.getCapabilities() == null
                || overlay.getCapabilities().getAdd() == null
            ? List.of()
            : overlay.getCapabilities().getAdd().stream().filter(NET_BIND_SERVICE::equals).toList();
    b.withCapabilities(new Capabilities(add.isEmpty() ? null : add, List.of("ALL")));
    if (overlay != null && Boolean.FALSE.equals(overlay.getRunAsNonRoot())) {
      b.withRunAsNonRoot(true);
    }
    if (overlay != null && Long.valueOf(0).equals(overlay.getRunAsUser())) {
      b.withRunAsUser(null);
    }
    if (runtime) {
      b.withRunAsNonRoot(true).withReadOnlyRootFilesystem(true);
    }
    if (runtime || (overlay != null && overlay.getSeccompProfile() != null)) {
      if (overlay == null || !isAllowedSeccomp(overlay.getSeccompProfile())) {
        b.withSeccompProfile(runtimeDefaultSeccomp());
      }
    }
    b.withProcMount(null);
    return b.build();
  }

  /** Sidecars and init containers from the template, held to the restricted profile. */
  static Container hardened(Container c) {
    return new ContainerBuilder(c)
        .withSecurityContext(restrictedContainerSecurity(c.getSecurityContext(), false))
        .build();
  }

  static boolean isAllowedSeccomp(SeccompProfile p) {
    return p != null && ("RuntimeDefault".equals(p.getType()) || "Localhost".equals(p.getType()));
  }

  private static SeccompProfile runtimeDefaultSeccomp() {
    return new SeccompProfileBuilder().withType(RUNTIME_DEFAULT).build();
  }
}
