package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The operator's RBAC is least privilege: exactly the calls it makes, namespaced unless it watches
 * every namespace, no wildcards, no Secrets except the plug-in credentials of the secured bus, and
 * those only in the watched namespaces.
 */
class ChartRbacTest {

  /**
   * Every Kubernetes API call the operator makes (group, resource, verb), found in its code:
   * informers (list, watch) on Plugins, Pods, Services, ConfigMaps, PodDisruptionBudgets; Creations
   * (create, get on a conflict); OwnedObjects (update); PluginReconciler (delete, status JSON
   * patch, pod list for cleanup); PluginEvents (create); JOSDK's finalizer (patch, get on a
   * conflict); and creating pods owned by a Plugin with blockOwnerDeletion (update on
   * plugins/finalizers, which OwnerReferencesPermissionEnforcement checks).
   */
  static final Set<String> WATCHED_NAMESPACE_CALLS =
      Set.of(
          "corebus.io/plugins:get",
          "corebus.io/plugins:list",
          "corebus.io/plugins:watch",
          "corebus.io/plugins:patch",
          "corebus.io/plugins/status:patch",
          "corebus.io/plugins/finalizers:update",
          "/pods:get",
          "/pods:list",
          "/pods:watch",
          "/pods:create",
          "/pods:delete",
          "/services:get",
          "/services:list",
          "/services:watch",
          "/services:create",
          "/services:update",
          "/services:delete",
          "/configmaps:get",
          "/configmaps:list",
          "/configmaps:watch",
          "/configmaps:create",
          "/configmaps:update",
          "/configmaps:delete",
          "policy/poddisruptionbudgets:get",
          "policy/poddisruptionbudgets:list",
          "policy/poddisruptionbudgets:watch",
          "policy/poddisruptionbudgets:create",
          "policy/poddisruptionbudgets:update",
          "policy/poddisruptionbudgets:delete",
          "/events:create");

  /**
   * The secured bus ({@code kafka.security.managePrincipals}) only, from PluginReconciler and
   * PluginSecurity: the Secret informer (list, watch); a get of a Secret the informer has not seen
   * yet or that raced a create; create of a missing one; update of an incomplete one or of a new
   * CA; delete with its Plugin. No patch.
   */
  static final Set<String> SECRET_CALLS =
      Set.of(
          "/secrets:get",
          "/secrets:list",
          "/secrets:watch",
          "/secrets:create",
          "/secrets:update",
          "/secrets:delete");

  /**
   * The chart's non-default values with the secured bus on (SASL_SSL, namespaces shop, billing).
   */
  static final Map<String, Object> MANAGE_PRINCIPALS =
      Map.of("kafka.security.managePrincipals", true);

  /** JOSDK's leader election: it checks for create, get and update on its Lease at start. */
  static final Set<String> LEASE_CALLS =
      Set.of(
          "coordination.k8s.io/leases:create",
          "coordination.k8s.io/leases[corebus-operator-lock]:get",
          "coordination.k8s.io/leases[corebus-operator-lock]:update");

  /** JOSDK's start-up check that the installed CRD matches the operator's model. */
  static final Set<String> CRD_CHECK_CALLS =
      Set.of("apiextensions.k8s.io/customresourcedefinitions[plugins.corebus.io]:get");

  static Stream<RenderedChart> renders() {
    return Stream.of(
        RenderedChart.render(Map.of()),
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of()),
        RenderedChart.render(Map.of("watchAllNamespaces", true)));
  }

  static Stream<RenderedChart> rendersWithEveryFeature() {
    return Stream.concat(
        renders(),
        Stream.of(
            RenderedChart.render(
                RenderedChart.valuesFile("values-production.yaml"), MANAGE_PRINCIPALS)));
  }

  @ParameterizedTest
  @MethodSource("rendersWithEveryFeature")
  void noRuleUsesAWildcard(RenderedChart chart) {
    for (PolicyRule rule : allRules(chart)) {
      Stream.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs(), rule.getResourceNames())
          .filter(list -> list != null)
          .flatMap(List::stream)
          .forEach(v -> assertThat(v).as("rule %s", rule).doesNotContain("*"));
      assertThat(rule.getNonResourceURLs()).as("rule %s", rule).isNullOrEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("renders")
  void withoutManagePrincipalsNothingGrantsSecrets(RenderedChart chart) {
    assertThat(allRules(chart))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("secrets"));
  }

  @ParameterizedTest
  @MethodSource("rendersWithEveryFeature")
  void neverEscalatesOrImpersonates(RenderedChart chart) {
    assertThat(allRules(chart))
        .allSatisfy(
            rule ->
                assertThat(rule.getVerbs())
                    .doesNotContain("escalate", "bind", "impersonate", "deletecollection"));
  }

  @Test
  void byDefaultTheOperatorGetsARoleInItsOwnNamespaceAndNoClusterWidePlugins() {
    RenderedChart chart = RenderedChart.render(Map.of());

    assertThat(grantsIn(chart, RenderedChart.NAMESPACE))
        .isEqualTo(union(WATCHED_NAMESPACE_CALLS, LEASE_CALLS));
    // The only cluster-wide grant: reading the one Plugin CRD.
    assertThat(clusterGrants(chart)).isEqualTo(CRD_CHECK_CALLS);
    assertBound(chart);
  }

  @Test
  void listedNamespacesGetARoleEachAndTheLeaseStaysHome() {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of());

    assertThat(grantsIn(chart, "shop")).isEqualTo(WATCHED_NAMESPACE_CALLS);
    assertThat(grantsIn(chart, "billing")).isEqualTo(WATCHED_NAMESPACE_CALLS);
    assertThat(grantsIn(chart, RenderedChart.NAMESPACE)).isEqualTo(LEASE_CALLS);
    assertThat(clusterGrants(chart)).isEqualTo(CRD_CHECK_CALLS);
    assertBound(chart);
  }

  @Test
  void watchingAllNamespacesIsTheOnlyCaseWithAClusterRoleForPlugins() {
    RenderedChart chart = RenderedChart.render(Map.of("watchAllNamespaces", true));

    assertThat(clusterGrants(chart)).isEqualTo(union(WATCHED_NAMESPACE_CALLS, CRD_CHECK_CALLS));
    assertThat(chart.all(Role.class))
        .extracting(r -> r.getMetadata().getName())
        .containsExactly("corebus-leader-election");
    assertThat(grantsIn(chart, RenderedChart.NAMESPACE)).isEqualTo(LEASE_CALLS);
    assertBound(chart);
  }

  @Test
  void managePrincipalsAddsExactlyTheSecretCallsToEachWatchedNamespaceAndNowhereElse() {
    RenderedChart chart =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), MANAGE_PRINCIPALS);

    assertThat(grantsIn(chart, "shop")).isEqualTo(union(WATCHED_NAMESPACE_CALLS, SECRET_CALLS));
    assertThat(grantsIn(chart, "billing")).isEqualTo(union(WATCHED_NAMESPACE_CALLS, SECRET_CALLS));
    // Not in the operator's own namespace (it watches no Plugins there), not cluster-wide.
    assertThat(grantsIn(chart, RenderedChart.NAMESPACE)).isEqualTo(LEASE_CALLS);
    assertThat(clusterGrants(chart)).isEqualTo(CRD_CHECK_CALLS);
    assertBound(chart);
  }

  @Test
  void managePrincipalsInTheReleaseNamespaceGrantsSecretsThereOnly() {
    RenderedChart chart =
        RenderedChart.render(
            Map.of(
                "kafka.securityProtocol",
                "SASL_PLAINTEXT",
                "kafka.security.managePrincipals",
                true));

    assertThat(grantsIn(chart, RenderedChart.NAMESPACE))
        .isEqualTo(union(union(WATCHED_NAMESPACE_CALLS, SECRET_CALLS), LEASE_CALLS));
    assertThat(clusterGrants(chart)).isEqualTo(CRD_CHECK_CALLS);
  }

  @Test
  void rbacCanBeLeftToTheCluster() {
    RenderedChart chart = RenderedChart.render(Map.of("rbac.create", false));

    assertThat(chart.all())
        .extracting(HasMetadata::getKind)
        .doesNotContain("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding");
  }

  /** Every Role and ClusterRole is bound to the operator's ServiceAccount, and nothing else. */
  private static void assertBound(RenderedChart chart) {
    for (RoleBinding b : chart.all(RoleBinding.class)) {
      assertThat(b.getSubjects())
          .singleElement()
          .satisfies(
              s -> {
                assertThat(s.getKind()).isEqualTo("ServiceAccount");
                assertThat(s.getName()).isEqualTo("corebus");
                assertThat(s.getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
              });
      assertThat(chart.named(Role.class, b.getMetadata().getNamespace(), b.getRoleRef().getName()))
          .as("Role of binding %s", b.getMetadata().getName())
          .isPresent();
    }
    for (ClusterRoleBinding b : chart.all(ClusterRoleBinding.class)) {
      assertThat(b.getSubjects()).singleElement().extracting("name").isEqualTo("corebus");
      assertThat(chart.named(ClusterRole.class, null, b.getRoleRef().getName())).isPresent();
    }
    assertThat(chart.all(RoleBinding.class)).hasSameSizeAs(chart.all(Role.class));
    assertThat(chart.all(ClusterRoleBinding.class)).hasSameSizeAs(chart.all(ClusterRole.class));
  }

  private static List<PolicyRule> allRules(RenderedChart chart) {
    List<PolicyRule> rules = new ArrayList<>();
    chart.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
    chart.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
    return rules;
  }

  /** "group/resource[names]:verb" for every grant of the Roles in a namespace. */
  private static Set<String> grantsIn(RenderedChart chart, String namespace) {
    Set<String> grants = new LinkedHashSet<>();
    chart.all(Role.class).stream()
        .filter(r -> namespace.equals(r.getMetadata().getNamespace()))
        .forEach(r -> r.getRules().forEach(rule -> grants.addAll(expand(rule))));
    return grants;
  }

  private static Set<String> clusterGrants(RenderedChart chart) {
    Set<String> grants = new LinkedHashSet<>();
    chart
        .all(ClusterRole.class)
        .forEach(r -> r.getRules().forEach(rule -> grants.addAll(expand(rule))));
    return grants;
  }

  private static List<String> expand(PolicyRule rule) {
    String names =
        rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
            ? ""
            : "[" + String.join(",", rule.getResourceNames()) + "]";
    List<String> out = new ArrayList<>();
    for (String group : rule.getApiGroups()) {
      for (String resource : rule.getResources()) {
        for (String verb : rule.getVerbs()) {
          out.add(group + "/" + resource + names + ":" + verb);
        }
      }
    }
    return out;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new LinkedHashSet<>(a);
    out.addAll(b);
    return out;
  }
}
