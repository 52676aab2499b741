package io.corebus.operator.plugin;

import io.corebus.crds.Plugin;
import io.corebus.operator.model.PluginConfigMaps;
import io.corebus.operator.model.PluginDisruptionBudgets;
import io.corebus.operator.model.PluginServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The Service, ConfigMap and PodDisruptionBudget of a plug-in, ensured by hand: create when
 * missing, update only the fields the operator owns when they differ, and otherwise make no call at
 * all (what is there comes from the informer caches). Fields the API server or others add
 * (clusterIP, extra labels and annotations) are kept.
 */
final class OwnedObjects {
  private static final Logger LOG = Logger.getLogger(OwnedObjects.class);

  private OwnedObjects() {}

  /** Returns a short description of each write made, empty when nothing changed. */
  static List<String> ensure(
      Plugin plugin,
      KubernetesClient client,
      Optional<ConfigMap> configMap,
      Optional<Service> service,
      Optional<PodDisruptionBudget> budget,
      boolean wantBudget) {
    List<String> writes = new ArrayList<>();
    String ns = plugin.getMetadata().getNamespace();

    ConfigMap desiredCm = PluginConfigMaps.desired(plugin);
    if (configMap.isEmpty()) {
      Creations.create(client, desiredCm, plugin.getMetadata().getUid());
      writes.add("created ConfigMap " + name(desiredCm));
    } else if (!metaMatches(configMap.get(), desiredCm)
        || !Objects.equals(orEmpty(configMap.get().getData()), orEmpty(desiredCm.getData()))) {
      ConfigMap updated =
          new ConfigMapBuilder(configMap.get())
              .withMetadata(mergedMeta(configMap.get(), desiredCm))
              .withData(desiredCm.getData())
              .build();
      client.configMaps().inNamespace(ns).resource(updated).update();
      writes.add("updated ConfigMap " + name(desiredCm));
    }

    Service desiredSvc = PluginServices.desired(plugin);
    if (service.isEmpty()) {
      Creations.create(client, desiredSvc, plugin.getMetadata().getUid());
      writes.add("created Service " + name(desiredSvc));
    } else if (!metaMatches(service.get(), desiredSvc)
        || !serviceSpecMatches(service.get(), desiredSvc)) {
      Service cur = service.get();
      Service updated =
          new ServiceBuilder(cur)
              .withMetadata(mergedMeta(cur, desiredSvc))
              .editSpec()
              .withType(desiredSvc.getSpec().getType())
              .withSelector(desiredSvc.getSpec().getSelector())
              .withPorts(desiredSvc.getSpec().getPorts())
              .endSpec()
              .build();
      client.services().inNamespace(ns).resource(updated).update();
      writes.add("updated Service " + name(desiredSvc));
    }

    PodDisruptionBudget desiredPdb = PluginDisruptionBudgets.desired(plugin);
    if (wantBudget && budget.isEmpty()) {
      Creations.create(client, desiredPdb, plugin.getMetadata().getUid());
      writes.add("created PodDisruptionBudget " + name(desiredPdb));
    } else if (wantBudget
        && (!metaMatches(budget.get(), desiredPdb)
            || !budgetSpecMatches(budget.get(), desiredPdb))) {
      PodDisruptionBudget updated =
          new PodDisruptionBudgetBuilder(budget.get())
              .withMetadata(mergedMeta(budget.get(), desiredPdb))
              .editSpec()
              .withMaxUnavailable(desiredPdb.getSpec().getMaxUnavailable())
              .withMinAvailable(null)
              .withSelector(desiredPdb.getSpec().getSelector())
              .endSpec()
              .build();
      client.policy().v1().podDisruptionBudget().inNamespace(ns).resource(updated).update();
      writes.add("updated PodDisruptionBudget " + name(desiredPdb));
    } else if (!wantBudget && budget.isPresent()) {
      client.policy().v1().podDisruptionBudget().inNamespace(ns).resource(budget.get()).delete();
      writes.add("deleted PodDisruptionBudget " + name(budget.get()) + " (at most one pod)");
    }
    writes.forEach(w -> LOG.infof("%s/%s: %s", ns, plugin.getMetadata().getName(), w));
    return writes;
  }

  private static String name(HasMetadata o) {
    return o.getMetadata().getName();
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  /** Our labels present with our values, and our owner reference present. */
  private static boolean metaMatches(HasMetadata actual, HasMetadata desired) {
    Map<String, String> labels = orEmpty(actual.getMetadata().getLabels());
    boolean labelsOk =
        desired.getMetadata().getLabels().entrySet().stream()
            .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    return labelsOk && hasOwner(actual, desired.getMetadata().getOwnerReferences().get(0));
  }

  private static boolean hasOwner(HasMetadata actual, OwnerReference owner) {
    return actual.getMetadata().getOwnerReferences() != null
        && actual.getMetadata().getOwnerReferences().stream()
            .anyMatch(o -> Objects.equals(o.getUid(), owner.getUid()));
  }

  private static ObjectMeta mergedMeta(HasMetadata actual, HasMetadata desired) {
    ObjectMeta meta = actual.getMetadata();
    Map<String, String> labels = new LinkedHashMap<>(orEmpty(meta.getLabels()));
    labels.putAll(desired.getMetadata().getLabels());
    List<OwnerReference> owners =
        new ArrayList<>(meta.getOwnerReferences() == null ? List.of() : meta.getOwnerReferences());
    OwnerReference ours = desired.getMetadata().getOwnerReferences().get(0);
    if (!hasOwner(actual, ours)) {
      owners.removeIf(o -> Boolean.TRUE.equals(o.getController()));
      owners.add(ours);
    }
    return new ObjectMetaBuilder(meta).withLabels(labels).withOwnerReferences(owners).build();
  }

  private static boolean serviceSpecMatches(Service actual, Service desired) {
    if (actual.getSpec() == null) {
      return false;
    }
    return Objects.equals(actual.getSpec().getType(), desired.getSpec().getType())
        && Objects.equals(actual.getSpec().getSelector(), desired.getSpec().getSelector())
        && portsMatch(actual.getSpec().getPorts(), desired.getSpec().getPorts());
  }

  /** Compares what we set; the API server may fill in others. */
  private static boolean portsMatch(List<ServicePort> actual, List<ServicePort> desired) {
    if (actual == null || actual.size() != desired.size()) {
      return false;
    }
    for (int i = 0; i < desired.size(); i++) {
      ServicePort a = actual.get(i);
      ServicePort d = desired.get(i);
      if (!Objects.equals(a.getName(), d.getName())
          || !Objects.equals(a.getPort(), d.getPort())
          || !Objects.equals(a.getTargetPort(), d.getTargetPort())
          || !Objects.equals(a.getProtocol(), d.getProtocol())
          || !Objects.equals(a.getAppProtocol(), d.getAppProtocol())) {
        return false;
      }
    }
    return true;
  }

  private static boolean budgetSpecMatches(
      PodDisruptionBudget actual, PodDisruptionBudget desired) {
    return actual.getSpec() != null
        && Objects.equals(
            actual.getSpec().getMaxUnavailable(), desired.getSpec().getMaxUnavailable())
        && actual.getSpec().getMinAvailable() == null
        && actual.getSpec().getSelector() != null
        && Objects.equals(
            actual.getSpec().getSelector().getMatchLabels(),
            desired.getSpec().getSelector().getMatchLabels());
  }
}
