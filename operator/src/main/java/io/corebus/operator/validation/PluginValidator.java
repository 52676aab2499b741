package io.corebus.operator.validation;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.RuntimeContract;
import io.corebus.operator.config.OperatorSettings;
import io.corebus.operator.model.PluginNames;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The semantic checks the CRD schema cannot make, because they need the Plugin's name, the
 * operator's settings or the other Plugins of the namespace. Pure: the reconciler passes the
 * namespace's Plugins from its cache.
 */
public final class PluginValidator {
  private PluginValidator() {}

  /** A DNS-1035 label: the Plugin's name is also its Service's name, which must be one. */
  private static final Pattern NAME = Pattern.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$");

  public static Validation validate(
      Plugin plugin, Collection<Plugin> namespacePlugins, OperatorSettings settings) {
    List<Problem> problems = new ArrayList<>();
    PluginSpec spec = plugin.getSpec();
    String name = plugin.getMetadata().getName();

    if (name.length() > PluginNames.MAX_PLUGIN_NAME_LENGTH || !NAME.matcher(name).matches()) {
      problems.add(
          new Problem(
              Problem.INVALID_NAME,
              "the Plugin name '"
                  + name
                  + "' must be at most "
                  + PluginNames.MAX_PLUGIN_NAME_LENGTH
                  + " lower-case letters, digits and '-', starting with a letter: it prefixes"
                  + " pod names (<plugin>-<revision>-<ordinal>, a 63-character DNS label) and"
                  + " names the plug-in's Service"));
    }
    if (settings.kafkaBootstrap().isEmpty()) {
      problems.add(
          new Problem(
              Problem.KAFKA_BOOTSTRAP_MISSING,
              "the operator has no Kafka bootstrap servers (set corebus.kafka.bootstrap-servers), so"
                  + " plug-ins cannot reach the bus"));
    }
    if (spec.getEnv() != null) {
      for (EnvVar e : spec.getEnv()) {
        if (e.getName() != null && e.getName().startsWith(RuntimeContract.RESERVED_ENV_PREFIX)) {
          problems.add(
              new Problem(
                  Problem.RESERVED_ENV_NAME,
                  "spec.env["
                      + e.getName()
                      + "] uses the prefix "
                      + RuntimeContract.RESERVED_ENV_PREFIX
                      + ", which is reserved for the runtime contract"));
        }
      }
    }
    problems.addAll(PodTemplateRules.problems(spec.getPodTemplate()));
    problems.addAll(topicNameProblems(plugin));

    Set<String> seen = new HashSet<>();
    ServiceOwnership ownership = ServiceOwnership.of(withSelf(plugin, namespacePlugins));
    for (ProvidedService provided : providesOf(spec)) {
      String service = provided.getService();
      if (!seen.add(service)) {
        problems.add(
            new Problem(
                Problem.INVALID_SPEC, "spec.provides lists " + service + " more than once"));
        continue;
      }
      Optional<Plugin> owner = ownership.owner(service);
      if (owner.isPresent() && !owner.get().getMetadata().getName().equals(name)) {
        problems.add(
            new Problem(
                Problem.DUPLICATE_SERVICE_PROVIDER,
                "service "
                    + service
                    + " is already provided by Plugin '"
                    + owner.get().getMetadata().getName()
                    + "', which is older; a service has one provider per namespace"));
      }
    }

    List<String> unresolved = new ArrayList<>();
    if (spec.getRequires() != null) {
      for (String required : spec.getRequires()) {
        if (ownership.owner(required).isEmpty()) {
          unresolved.add(required);
        }
      }
    }
    return new Validation(problems, unresolved);
  }

  /** Every service and event type must make a legal Kafka topic name (at most 249 characters). */
  private static List<Problem> topicNameProblems(Plugin plugin) {
    List<Problem> out = new ArrayList<>();
    BusTopics topics;
    try {
      topics = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    } catch (IllegalArgumentException e) {
      out.add(new Problem(Problem.INVALID_SPEC, e.getMessage()));
      return out;
    }
    PluginSpec spec = plugin.getSpec();
    for (ProvidedService p : providesOf(spec)) {
      check(out, () -> topics.requests(p.getService()));
    }
    for (List<String> types : List.of(listOf(spec.getPublishes()), listOf(spec.getSubscribes()))) {
      for (String type : types) {
        check(out, () -> topics.events(type));
      }
    }
    return out;
  }

  private static void check(List<Problem> out, java.util.function.Supplier<String> topicName) {
    try {
      topicName.get();
    } catch (IllegalArgumentException e) {
      out.add(new Problem(Problem.INVALID_SPEC, e.getMessage()));
    }
  }

  private static List<String> listOf(List<String> values) {
    return values == null ? List.of() : values;
  }

  private static List<ProvidedService> providesOf(PluginSpec spec) {
    return spec.getProvides() == null
        ? List.of()
        : spec.getProvides().stream().filter(p -> p.getService() != null).toList();
  }

  /** The cache may not hold this exact copy yet; make sure the Plugin itself is counted once. */
  private static List<Plugin> withSelf(Plugin plugin, Collection<Plugin> namespacePlugins) {
    List<Plugin> all = new ArrayList<>();
    all.add(plugin);
    for (Plugin p : namespacePlugins) {
      if (!p.getMetadata().getName().equals(plugin.getMetadata().getName())) {
        all.add(p);
      }
    }
    return all;
  }
}
