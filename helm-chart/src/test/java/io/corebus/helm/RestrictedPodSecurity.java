package io.corebus.helm;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The Kubernetes Pod Security Standards, profile "restricted" (which includes "baseline"), as of
 * Kubernetes 1.25+: https://kubernetes.io/docs/concepts/security/pod-security-standards/. {@link
 * #check} returns one {@link Violation} per broken rule and place, named like the standard's
 * controls, so a failing test says what to fix.
 */
final class RestrictedPodSecurity {
  private RestrictedPodSecurity() {}

  /** A broken control: which one, where (pod or container name), and what was found. */
  record Violation(String control, String where, String found) {
    @Override
    public String toString() {
      return control + " [" + where + "]: " + found;
    }
  }

  /** Volume types "restricted" allows. */
  static final Set<String> ALLOWED_VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  /** The sysctls "baseline" calls safe. */
  static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");

  static final Set<String> ALLOWED_SELINUX_TYPES =
      Set.of("container_t", "container_init_t", "container_kvm_t", "container_engine_t");

  static List<Violation> check(PodSpec pod) {
    List<Violation> out = new ArrayList<>();
    PodSecurityContext psc =
        pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();

    // --- baseline, pod level
    if (isTrue(pod.getHostNetwork()) || isTrue(pod.getHostPID()) || isTrue(pod.getHostIPC())) {
      out.add(
          new Violation(
              "Host Namespaces",
              "pod",
              "hostNetwork/hostPID/hostIPC = "
                  + pod.getHostNetwork()
                  + "/"
                  + pod.getHostPID()
                  + "/"
                  + pod.getHostIPC()));
    }
    if (psc.getWindowsOptions() != null && isTrue(psc.getWindowsOptions().getHostProcess())) {
      out.add(new Violation("HostProcess", "pod", "windowsOptions.hostProcess = true"));
    }
    if (psc.getSysctls() != null) {
      psc.getSysctls().stream()
          .filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
          .forEach(s -> out.add(new Violation("Sysctls", "pod", "unsafe sysctl " + s.getName())));
    }
    checkSeLinux(out, "pod", psc.getSeLinuxOptions());
    if (psc.getAppArmorProfile() != null
        && !Set.of("RuntimeDefault", "Localhost").contains(psc.getAppArmorProfile().getType())) {
      out.add(
          new Violation(
              "AppArmor", "pod", "appArmorProfile " + psc.getAppArmorProfile().getType()));
    }

    // --- restricted, pod level
    if (pod.getVolumes() != null) {
      for (Volume v : pod.getVolumes()) {
        String type = volumeType(v);
        if ("hostPath".equals(type)) {
          out.add(new Violation("HostPath Volumes", "volume " + v.getName(), "hostPath"));
        } else if (!ALLOWED_VOLUME_TYPES.contains(type)) {
          out.add(new Violation("Volume Types", "volume " + v.getName(), type));
        }
      }
    }
    if (Boolean.FALSE.equals(psc.getRunAsNonRoot())) {
      out.add(new Violation("Running as Non-root", "pod", "runAsNonRoot = false"));
    }
    if (Long.valueOf(0).equals(psc.getRunAsUser())) {
      out.add(new Violation("Running as Non-root user", "pod", "runAsUser = 0"));
    }
    checkSeccompNotUnconfined(out, "pod", psc.getSeccompProfile());

    // --- every container (init and ephemeral containers too)
    List<Container> containers = new ArrayList<>();
    if (pod.getInitContainers() != null) {
      containers.addAll(pod.getInitContainers());
    }
    if (pod.getContainers() != null) {
      containers.addAll(pod.getContainers());
    }
    for (Container c : containers) {
      checkContainer(out, c.getName(), c.getSecurityContext(), c.getPorts(), psc);
    }
    if (pod.getEphemeralContainers() != null) {
      pod.getEphemeralContainers()
          .forEach(
              e -> checkContainer(out, e.getName(), e.getSecurityContext(), e.getPorts(), psc));
    }
    return out;
  }

  private static void checkContainer(
      List<Violation> out,
      String name,
      SecurityContext securityContext,
      List<ContainerPort> ports,
      PodSecurityContext psc) {
    String where = "container " + name;
    SecurityContext sc = securityContext == null ? new SecurityContext() : securityContext;

    // baseline
    if (isTrue(sc.getPrivileged())) {
      out.add(new Violation("Privileged Containers", where, "privileged = true"));
    }
    if (sc.getWindowsOptions() != null && isTrue(sc.getWindowsOptions().getHostProcess())) {
      out.add(new Violation("HostProcess", where, "windowsOptions.hostProcess = true"));
    }
    if (ports != null) {
      for (ContainerPort p : ports) {
        if (p.getHostPort() != null && p.getHostPort() != 0) {
          out.add(new Violation("Host Ports", where, "hostPort " + p.getHostPort()));
        }
      }
    }
    checkSeLinux(out, where, sc.getSeLinuxOptions());
    if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
      out.add(new Violation("/proc Mount Type", where, "procMount " + sc.getProcMount()));
    }
    if (sc.getAppArmorProfile() != null
        && !Set.of("RuntimeDefault", "Localhost").contains(sc.getAppArmorProfile().getType())) {
      out.add(
          new Violation("AppArmor", where, "appArmorProfile " + sc.getAppArmorProfile().getType()));
    }

    // restricted
    if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
      out.add(
          new Violation(
              "Privilege Escalation",
              where,
              "allowPrivilegeEscalation = "
                  + sc.getAllowPrivilegeEscalation()
                  + " (must be false)"));
    }
    Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : psc.getRunAsNonRoot();
    if (!isTrue(nonRoot)) {
      out.add(
          new Violation(
              "Running as Non-root",
              where,
              "runAsNonRoot = " + nonRoot + " (must be true, on the pod or the container)"));
    }
    if (Long.valueOf(0).equals(sc.getRunAsUser())) {
      out.add(new Violation("Running as Non-root user", where, "runAsUser = 0"));
    }
    SeccompProfile seccomp =
        sc.getSeccompProfile() != null ? sc.getSeccompProfile() : psc.getSeccompProfile();
    if (seccomp == null || !Set.of("RuntimeDefault", "Localhost").contains(seccomp.getType())) {
      out.add(
          new Violation(
              "Seccomp",
              where,
              "seccompProfile "
                  + (seccomp == null ? "unset" : seccomp.getType())
                  + " (must be RuntimeDefault or Localhost, on the pod or the container)"));
    }
    Capabilities caps = sc.getCapabilities();
    List<String> drop = caps == null || caps.getDrop() == null ? List.of() : caps.getDrop();
    if (!drop.contains("ALL")) {
      out.add(new Violation("Capabilities", where, "drop " + drop + " (must drop ALL)"));
    }
    List<String> add = caps == null || caps.getAdd() == null ? List.of() : caps.getAdd();
    add.stream()
        .filter(a -> !"NET_BIND_SERVICE".equals(a))
        .forEach(
            a ->
                out.add(
                    new Violation(
                        "Capabilities", where, "adds " + a + " (only NET_BIND_SERVICE may be)")));
  }

  private static void checkSeccompNotUnconfined(
      List<Violation> out, String where, SeccompProfile p) {
    if (p != null && "Unconfined".equals(p.getType())) {
      out.add(new Violation("Seccomp", where, "seccompProfile Unconfined"));
    }
  }

  private static void checkSeLinux(
      List<Violation> out, String where, io.fabric8.kubernetes.api.model.SELinuxOptions o) {
    if (o == null) {
      return;
    }
    if (o.getType() != null
        && !o.getType().isEmpty()
        && !ALLOWED_SELINUX_TYPES.contains(o.getType())) {
      out.add(new Violation("SELinux", where, "seLinuxOptions.type " + o.getType()));
    }
    if ((o.getUser() != null && !o.getUser().isEmpty())
        || (o.getRole() != null && !o.getRole().isEmpty())) {
      out.add(new Violation("SELinux", where, "seLinuxOptions.user/role set"));
    }
  }

  /** The name of the one volume source a volume sets (fabric8 has a getter per type). */
  static String volumeType(Volume v) {
    Map<String, Function<Volume, Object>> sources =
        Map.ofEntries(
            Map.entry("configMap", Volume::getConfigMap),
            Map.entry("csi", Volume::getCsi),
            Map.entry("downwardAPI", Volume::getDownwardAPI),
            Map.entry("emptyDir", Volume::getEmptyDir),
            Map.entry("ephemeral", Volume::getEphemeral),
            Map.entry("persistentVolumeClaim", Volume::getPersistentVolumeClaim),
            Map.entry("projected", Volume::getProjected),
            Map.entry("secret", Volume::getSecret),
            Map.entry("hostPath", Volume::getHostPath),
            Map.entry("nfs", Volume::getNfs),
            Map.entry("iscsi", Volume::getIscsi),
            Map.entry("gitRepo", Volume::getGitRepo),
            Map.entry("cephfs", Volume::getCephfs),
            Map.entry("rbd", Volume::getRbd),
            Map.entry("glusterfs", Volume::getGlusterfs),
            Map.entry("flexVolume", Volume::getFlexVolume),
            Map.entry("image", Volume::getImage));
    return sources.entrySet().stream()
        .filter(e -> e.getValue().apply(v) != null)
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse("other");
  }

  private static boolean isTrue(Boolean b) {
    return Boolean.TRUE.equals(b);
  }
}
