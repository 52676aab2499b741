package io.corebus.bus.protocol;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which plug-ins may call which of a plug-in's services ({@code provides[].allowedCallers}), as the
 * operator hands it to the runtime in {@code COREBUS_ALLOWED_CALLERS}:
 *
 * <pre>shop.payment.PaymentService=orders,checkout;shop.payment.RefundService=support</pre>
 *
 * A service that is not listed may be called by any plug-in. The callee's runtime answers other
 * callers with {@code PERMISSION_DENIED}. The caller's name travels in a record header, so it is
 * only as trustworthy as the Kafka credentials that keep other clients off the request topics.
 */
public final class AllowedCallers {
  private final Map<String, Set<String>> byService;

  private AllowedCallers(Map<String, Set<String>> byService) {
    this.byService = byService;
  }

  /** Everybody may call everything. */
  public static AllowedCallers anyone() {
    return new AllowedCallers(Map.of());
  }

  public static AllowedCallers of(Map<String, ? extends Collection<String>> byService) {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    byService.forEach(
        (service, callers) -> {
          if (!callers.isEmpty()) {
            m.put(service, Set.copyOf(callers));
          }
        });
    return new AllowedCallers(Map.copyOf(m));
  }

  /**
   * Parses the environment form; blank means anyone.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public static AllowedCallers parse(String value) {
    if (value == null || value.isBlank()) {
      return anyone();
    }
    Map<String, Set<String>> m = new LinkedHashMap<>();
    for (String entry : value.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "allowed callers entry '" + entry + "' is not service=caller1,caller2");
      }
      Set<String> callers = new LinkedHashSet<>();
      for (String c : entry.substring(eq + 1).split(",")) {
        if (!c.isBlank()) {
          callers.add(c.trim());
        }
      }
      m.put(entry.substring(0, eq).trim(), callers);
    }
    return of(m);
  }

  /** The environment form, parsed back by {@link #parse}. */
  public String format() {
    return byService.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(
            e -> e.getKey() + "=" + e.getValue().stream().sorted().collect(Collectors.joining(",")))
        .collect(Collectors.joining(";"));
  }

  public boolean permits(String service, String caller) {
    Set<String> allowed = byService.get(service);
    return allowed == null || (caller != null && allowed.contains(caller));
  }

  /** The callers allowed for a service, or empty when anyone may call it. */
  public Set<String> callersOf(String service) {
    return byService.getOrDefault(service, Set.of());
  }
}
