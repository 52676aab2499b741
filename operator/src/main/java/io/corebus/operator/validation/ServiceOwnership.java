package io.corebus.operator.validation;

import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which Plugin owns each service in a namespace. A service is provided by at most one Plugin: the
 * oldest (creationTimestamp, ties broken by name) keeps it. Plugins being deleted own nothing, so a
 * waiting provider takes over as soon as the old one goes.
 */
public final class ServiceOwnership {
  private final Map<String, Plugin> owners = new HashMap<>();

  /** Oldest first; a Plugin without a creationTimestamp (not stored yet) counts as newest. */
  public static final Comparator<Plugin> SENIORITY =
      Comparator.comparing((Plugin p) -> created(p)).thenComparing(p -> p.getMetadata().getName());

  private ServiceOwnership() {}

  public static ServiceOwnership of(Collection<Plugin> namespacePlugins) {
    ServiceOwnership o = new ServiceOwnership();
    namespacePlugins.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> p.getSpec() != null && p.getSpec().getProvides() != null)
        .sorted(SENIORITY)
        .forEach(
            p ->
                p.getSpec().getProvides().stream()
                    .map(ProvidedService::getService)
                    .filter(s -> s != null)
                    .forEach(s -> o.owners.putIfAbsent(s, p)));
    return o;
  }

  /** The Plugin that owns the service, if any Plugin in the namespace provides it. */
  public Optional<Plugin> owner(String service) {
    return Optional.ofNullable(owners.get(service));
  }

  private static Instant created(Plugin p) {
    String ts = p.getMetadata().getCreationTimestamp();
    if (ts == null) {
      return Instant.MAX;
    }
    try {
      return Instant.parse(ts);
    } catch (DateTimeParseException e) {
      return Instant.MAX;
    }
  }
}
