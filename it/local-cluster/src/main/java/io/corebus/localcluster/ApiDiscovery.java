package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupList;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the API server says it serves (legacy discovery: {@code /api}, {@code /api/v1}, {@code
 * /apis}, {@code /apis/<group>}, {@code /apis/<group>/<version>}): a fixed set of built-in
 * resources, plus the custom resources of the CRDs stored at the time of the request.
 *
 * <p>kubectl and fabric8's generic client need this to map a kind or a short name ({@code plg}) to
 * a URL. The built-in list is the part of Kubernetes that Corebus, its Helm chart and its tests
 * touch; the store itself accepts any path, discovery or not.
 */
final class ApiDiscovery {

  private static final List<String> ALL_VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  private static final List<String> SUBRESOURCE_VERBS = List.of("get", "patch", "update");

  /** A resource type of one group/version. */
  record Resource(
      String group,
      String version,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> categories,
      List<String> subresources,
      CustomResource custom) {

    String groupVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }
  }

  /** The parts of a CRD version the server itself acts on: status, scale, printer columns. */
  record CustomResource(
      boolean statusSubresource,
      String specReplicasPath,
      String statusReplicasPath,
      String labelSelectorPath,
      JsonNode printerColumns) {}

  private static final List<Resource> BUILT_IN = new ArrayList<>();

  static {
    // group, version, plural, kind, namespaced, short names, subresources
    core("pods", "Pod", true, List.of("po"), List.of("status", "log"));
    core("services", "Service", true, List.of("svc"), List.of("status"));
    core("endpoints", "Endpoints", true, List.of("ep"), List.of());
    core("configmaps", "ConfigMap", true, List.of("cm"), List.of());
    core("secrets", "Secret", true, List.of(), List.of());
    core("serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of());
    core("events", "Event", true, List.of("ev"), List.of());
    core(
        "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), List.of("status"));
    core("resourcequotas", "ResourceQuota", true, List.of("quota"), List.of("status"));
    core("limitranges", "LimitRange", true, List.of("limits"), List.of());
    core("namespaces", "Namespace", false, List.of("ns"), List.of("status"));
    core("nodes", "Node", false, List.of("no"), List.of("status"));
    builtIn("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), "status", "scale");
    builtIn("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), "status", "scale");
    builtIn("apps", "v1", "replicasets", "ReplicaSet", true, List.of("rs"), "status", "scale");
    builtIn("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), "status");
    builtIn("batch", "v1", "jobs", "Job", true, List.of(), "status");
    builtIn("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"));
    builtIn("coordination.k8s.io", "v1", "leases", "Lease", true, List.of());
    builtIn("events.k8s.io", "v1", "events", "Event", true, List.of("ev"));
    builtIn("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, List.of());
    builtIn("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, List.of("netpol"));
    builtIn(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        List.of("hpa"),
        "status");
    builtIn(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        List.of("crd", "crds"),
        "status");
    builtIn("rbac.authorization.k8s.io", "v1", "roles", "Role", true, List.of());
    builtIn("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, List.of());
    builtIn("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, List.of());
    builtIn(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        List.of());
    builtIn("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, List.of("pc"));
  }

  private static void core(
      String plural, String kind, boolean namespaced, List<String> shortNames, List<String> sub) {
    BUILT_IN.add(
        new Resource(
            "",
            "v1",
            plural,
            kind.toLowerCase(),
            kind,
            namespaced,
            shortNames,
            List.of(),
            sub,
            null));
  }

  private static void builtIn(
      String group,
      String version,
      String plural,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      String... sub) {
    BUILT_IN.add(
        new Resource(
            group,
            version,
            plural,
            kind.toLowerCase(),
            kind,
            namespaced,
            shortNames,
            List.of(),
            List.of(sub),
            null));
  }

  private final List<Resource> resources;

  private ApiDiscovery(List<Resource> resources) {
    this.resources = resources;
  }

  /** The built-in resources plus one resource per served version of each given CRD (as JSON). */
  static ApiDiscovery of(List<JsonNode> crds) {
    List<Resource> all = new ArrayList<>(BUILT_IN);
    for (JsonNode crd : crds) {
      JsonNode spec = crd.path("spec");
      JsonNode names = spec.path("names");
      for (JsonNode version : spec.path("versions")) {
        if (!version.path("served").asBoolean(true)) {
          continue;
        }
        JsonNode sub = version.path("subresources");
        List<String> subresources = new ArrayList<>();
        if (sub.has("status")) {
          subresources.add("status");
        }
        JsonNode scale = sub.path("scale");
        if (!scale.isMissingNode()) {
          subresources.add("scale");
        }
        all.add(
            new Resource(
                spec.path("group").asText(),
                version.path("name").asText(),
                names.path("plural").asText(),
                names.path("singular").asText(names.path("kind").asText().toLowerCase()),
                names.path("kind").asText(),
                !"Cluster".equals(spec.path("scope").asText()),
                strings(names.path("shortNames")),
                strings(names.path("categories")),
                subresources,
                new CustomResource(
                    sub.has("status"),
                    scale.path("specReplicasPath").asText(null),
                    scale.path("statusReplicasPath").asText(null),
                    scale.path("labelSelectorPath").asText(null),
                    version.path("additionalPrinterColumns"))));
      }
    }
    return new ApiDiscovery(all);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  List<Resource> resources() {
    return resources;
  }

  Optional<Resource> find(String group, String version, String plural) {
    return resources.stream()
        .filter(
            r ->
                r.group().equals(group == null ? "" : group)
                    && r.version().equals(version)
                    && r.plural().equals(plural))
        .findFirst();
  }

  /** {@code /apis}: every group but the core one. */
  APIGroupList groups() {
    return new APIGroupListBuilder().withGroups(groupMap().values().stream().toList()).build();
  }

  /** {@code /apis/<group>}, if the group exists. */
  Optional<APIGroup> group(String name) {
    return Optional.ofNullable(groupMap().get(name));
  }

  private Map<String, APIGroup> groupMap() {
    Map<String, List<String>> versions = new LinkedHashMap<>();
    for (Resource r : resources) {
      if (!r.group().isEmpty()) {
        List<String> list = versions.computeIfAbsent(r.group(), g -> new ArrayList<>());
        if (!list.contains(r.version())) {
          list.add(r.version());
        }
      }
    }
    Map<String, APIGroup> groups = new LinkedHashMap<>();
    versions.forEach(
        (group, vs) -> {
          List<GroupVersionForDiscovery> gvs =
              vs.stream().map(v -> new GroupVersionForDiscovery(group + "/" + v, v)).toList();
          groups.put(
              group,
              new APIGroupBuilder()
                  .withName(group)
                  .withVersions(gvs)
                  .withPreferredVersion(gvs.get(0))
                  .build());
        });
    return groups;
  }

  /** {@code /api/v1} or {@code /apis/<group>/<version>}, if that group/version exists. */
  Optional<APIResourceList> resourceList(String group, String version) {
    String g = group == null ? "" : group;
    List<APIResource> list = new ArrayList<>();
    for (Resource r : resources) {
      if (!r.group().equals(g) || !r.version().equals(version)) {
        continue;
      }
      list.add(
          new APIResourceBuilder()
              .withName(r.plural())
              .withSingularName(r.singular())
              .withKind(r.kind())
              .withNamespaced(r.namespaced())
              .withVerbs(ALL_VERBS)
              .withShortNames(r.shortNames().isEmpty() ? null : r.shortNames())
              .withCategories(r.categories().isEmpty() ? null : r.categories())
              .build());
      for (String sub : r.subresources()) {
        APIResourceBuilder b =
            new APIResourceBuilder()
                .withName(r.plural() + "/" + sub)
                .withSingularName("")
                .withNamespaced(r.namespaced())
                .withKind(r.kind())
                .withVerbs("log".equals(sub) ? List.of("get") : SUBRESOURCE_VERBS);
        if ("scale".equals(sub)) {
          b.withKind("Scale").withGroup("autoscaling").withVersion("v1");
        }
        list.add(b.build());
      }
    }
    if (list.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new APIResourceListBuilder()
            .withGroupVersion(g.isEmpty() ? version : g + "/" + version)
            .withResources(list)
            .build());
  }
}
