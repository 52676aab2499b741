package io.corebus.operator.validation;

import io.corebus.crds.RuntimeContract;
import io.corebus.operator.model.PluginNames;
import io.corebus.operator.model.PluginPods;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What spec.podTemplate may not do: replace or break the runtime container (image, command, args,
 * ports, probes, lifecycle, resources: use spec.resources), take the operator's labels, volumes or
 * mount paths, or weaken the Pod Security "restricted" profile for any container (privileged,
 * privilege escalation, added capabilities, root, unconfined seccomp, host namespaces, host paths
 * and ports).
 */
public final class PodTemplateRules {
  private PodTemplateRules() {}

  private static final Set<String> OWNED_LABELS =
      Set.of(
          PluginNames.LABEL_NAME,
          PluginNames.LABEL_INSTANCE,
          PluginNames.LABEL_VERSION,
          PluginNames.LABEL_COMPONENT,
          PluginNames.LABEL_PART_OF,
          PluginNames.LABEL_MANAGED_BY);

  /** Problems with the template, as messages that name the offending field; empty when fine. */
  public static List<Problem> problems(PodTemplateSpec template) {
    List<Problem> problems = new ArrayList<>();
    if (template == null) {
      return problems;
    }
    metadata(template.getMetadata(), problems);
    PodSpec spec = template.getSpec();
    if (spec != null) {
      podSpec(spec, problems);
    }
    return problems;
  }

  private static void metadata(ObjectMeta meta, List<Problem> problems) {
    if (meta == null) {
      return;
    }
    keys("podTemplate.metadata.labels", meta.getLabels(), true, problems);
    keys("podTemplate.metadata.annotations", meta.getAnnotations(), false, problems);
  }

  private static void keys(
      String path, Map<String, String> map, boolean labels, List<Problem> problems) {
    if (map == null) {
      return;
    }
    for (String key : map.keySet()) {
      if (key.startsWith(PluginNames.RESERVED_KEY_PREFIX)
          || (labels && OWNED_LABELS.contains(key))) {
        invalid(problems, path + "[" + key + "] is set by the operator and may not be overridden");
      }
    }
  }

  private static void podSpec(PodSpec spec, List<Problem> problems) {
    String p = "podTemplate.spec";
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      invalid(problems, p + ".hostNetwork may not be true (Pod Security restricted)");
    }
    if (Boolean.TRUE.equals(spec.getHostPID())) {
      invalid(problems, p + ".hostPID may not be true (Pod Security restricted)");
    }
    if (Boolean.TRUE.equals(spec.getHostIPC())) {
      invalid(problems, p + ".hostIPC may not be true (Pod Security restricted)");
    }
    if (spec.getRestartPolicy() != null && !"Always".equals(spec.getRestartPolicy())) {
      invalid(problems, p + ".restartPolicy must be Always: a plug-in runtime is long-running");
    }
    podSecurity(p + ".securityContext", spec.getSecurityContext(), problems);
    if (spec.getVolumes() != null) {
      for (Volume v : spec.getVolumes()) {
        if (PluginNames.CONFIG_VOLUME.equals(v.getName())
            || PluginNames.TMP_VOLUME.equals(v.getName())) {
          invalid(problems, p + ".volumes[" + v.getName() + "] uses a name the operator reserves");
        }
        if (v.getHostPath() != null) {
          invalid(
              problems,
              p
                  + ".volumes["
                  + v.getName()
                  + "] may not be a hostPath volume (Pod Security restricted)");
        }
      }
    }
    if (spec.getContainers() != null) {
      for (Container c : spec.getContainers()) {
        if (RuntimeContract.CONTAINER_NAME.equals(c.getName())) {
          runtimeOverlay(p + ".containers[" + c.getName() + "]", c, problems);
        } else {
          sidecar(p + ".containers[" + c.getName() + "]", c, problems);
        }
      }
    }
    if (spec.getInitContainers() != null) {
      for (Container c : spec.getInitContainers()) {
        sidecar(p + ".initContainers[" + c.getName() + "]", c, problems);
      }
    }
  }

  private static void runtimeOverlay(String path, Container c, List<Problem> problems) {
    String hint = " may not be changed: the operator owns the runtime container's ";
    if (c.getImage() != null) {
      invalid(problems, path + ".image" + hint + "image (set spec.artifact)");
    }
    if (c.getCommand() != null && !c.getCommand().isEmpty()) {
      invalid(problems, path + ".command" + hint + "command");
    }
    if (c.getArgs() != null && !c.getArgs().isEmpty()) {
      invalid(problems, path + ".args" + hint + "arguments");
    }
    if (c.getPorts() != null && !c.getPorts().isEmpty()) {
      invalid(problems, path + ".ports" + hint + "ports");
    }
    if (c.getReadinessProbe() != null
        || c.getLivenessProbe() != null
        || c.getStartupProbe() != null) {
      invalid(problems, path + " probes" + hint + "probes");
    }
    if (c.getLifecycle() != null) {
      invalid(problems, path + ".lifecycle" + hint + "lifecycle hooks (it drains on SIGTERM)");
    }
    if (c.getResources() != null
        && ((c.getResources().getRequests() != null && !c.getResources().getRequests().isEmpty())
            || (c.getResources().getLimits() != null && !c.getResources().getLimits().isEmpty()))) {
      invalid(problems, path + ".resources may not be set here: use spec.resources");
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        if (e.getName() != null && e.getName().startsWith(RuntimeContract.RESERVED_ENV_PREFIX)) {
          problems.add(
              new Problem(
                  Problem.RESERVED_ENV_NAME,
                  path
                      + ".env["
                      + e.getName()
                      + "] uses the reserved prefix "
                      + RuntimeContract.RESERVED_ENV_PREFIX));
        }
      }
    }
    if (c.getVolumeMounts() != null) {
      for (VolumeMount m : c.getVolumeMounts()) {
        if (RuntimeContract.CONFIG_MOUNT_PATH.equals(m.getMountPath())
            || PluginPods.TMP_PATH.equals(m.getMountPath())) {
          invalid(
              problems,
              path + ".volumeMounts[" + m.getMountPath() + "] is a path the operator mounts");
        }
      }
    }
    containerSecurity(path + ".securityContext", c.getSecurityContext(), true, problems);
  }

  private static void sidecar(String path, Container c, List<Problem> problems) {
    containerSecurity(path + ".securityContext", c.getSecurityContext(), false, problems);
    if (c.getPorts() != null) {
      for (ContainerPort port : c.getPorts()) {
        if (port.getHostPort() != null && port.getHostPort() != 0) {
          invalid(problems, path + ".ports may not use hostPort (Pod Security restricted)");
        }
      }
    }
  }

  private static void podSecurity(String path, PodSecurityContext sc, List<Problem> problems) {
    if (sc == null) {
      return;
    }
    if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
      invalid(problems, path + ".runAsNonRoot may not be false (Pod Security restricted)");
    }
    if (Long.valueOf(0).equals(sc.getRunAsUser())) {
      invalid(problems, path + ".runAsUser may not be 0 (Pod Security restricted)");
    }
    seccomp(path, sc.getSeccompProfile(), problems);
  }

  private static void containerSecurity(
      String path, SecurityContext sc, boolean runtime, List<Problem> problems) {
    if (sc == null) {
      return;
    }
    if (Boolean.TRUE.equals(sc.getPrivileged())) {
      invalid(problems, path + ".privileged may not be true (Pod Security restricted)");
    }
    if (Boolean.TRUE.equals(sc.getAllowPrivilegeEscalation())) {
      invalid(
          problems, path + ".allowPrivilegeEscalation may not be true (Pod Security restricted)");
    }
    if (sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null) {
      for (String cap : sc.getCapabilities().getAdd()) {
        if (!PluginPods.NET_BIND_SERVICE.equals(cap)) {
          invalid(
              problems, path + ".capabilities.add may not add " + cap + " (only NET_BIND_SERVICE)");
        }
      }
    }
    if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
      invalid(problems, path + ".runAsNonRoot may not be false (Pod Security restricted)");
    }
    if (Long.valueOf(0).equals(sc.getRunAsUser())) {
      invalid(problems, path + ".runAsUser may not be 0 (Pod Security restricted)");
    }
    if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
      invalid(problems, path + ".procMount must be Default (Pod Security restricted)");
    }
    if (runtime && Boolean.FALSE.equals(sc.getReadOnlyRootFilesystem())) {
      invalid(
          problems, path + ".readOnlyRootFilesystem may not be false for the runtime container");
    }
    seccomp(path, sc.getSeccompProfile(), problems);
  }

  private static void seccomp(String path, SeccompProfile profile, List<Problem> problems) {
    if (profile != null
        && profile.getType() != null
        && !"RuntimeDefault".equals(profile.getType())
        && !"Localhost".equals(profile.getType())) {
      invalid(
          problems,
          path
              + ".seccompProfile.type may not be "
              + profile.getType()
              + " (Pod Security restricted)");
    }
  }

  private static void invalid(List<Problem> problems, String message) {
    problems.add(new Problem(Problem.INVALID_POD_TEMPLATE, message));
  }
}
