package io.corebus.bus.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The request topic a runtime consumes for each service it provides, as the operator hands it over
 * in {@code COREBUS_REQUEST_TOPICS}: the same topic the operator put in that version's route, so
 * callers and callee agree without either computing a name.
 *
 * <pre>shop.payment.PaymentService=corebus.shop.rpc.shop.payment.PaymentService</pre>
 *
 * A service that is not listed (or an unset variable) is consumed from {@link
 * BusTopics#requests(String)}, the name the operator gives a service's only topic.
 */
public final class RequestTopics {
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final Map<String, String> byService;

  private RequestTopics(Map<String, String> byService) {
    this.byService = Map.copyOf(byService);
  }

  public static RequestTopics of(Map<String, String> byService) {
    byService.values().forEach(RequestTopics::requireTopic);
    return new RequestTopics(byService);
  }

  /**
   * Parses the environment form; blank means none.
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public static RequestTopics parse(String value) {
    Map<String, String> m = new LinkedHashMap<>();
    if (value != null) {
      for (String entry : value.split(";")) {
        if (entry.isBlank()) {
          continue;
        }
        int eq = entry.indexOf('=');
        if (eq <= 0 || eq == entry.length() - 1) {
          throw new IllegalArgumentException(
              "request topics entry '" + entry + "' is not service=topic");
        }
        m.put(entry.substring(0, eq).trim(), requireTopic(entry.substring(eq + 1).trim()));
      }
    }
    return new RequestTopics(m);
  }

  /** The environment form, parsed back by {@link #parse}. */
  public String format() {
    return byService.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(";"));
  }

  /** The topic given for a service, if any. */
  public Optional<String> topicOf(String service) {
    return Optional.ofNullable(byService.get(service));
  }

  /** The topic to consume for a service: the given one, else {@code topics.requests(service)}. */
  public String topicOf(String service, BusTopics topics) {
    return topicOf(service).orElseGet(() -> topics.requests(service));
  }

  private static String requireTopic(String topic) {
    if (!TOPIC.matcher(topic).matches()) {
      throw new IllegalArgumentException("'" + topic + "' is not a legal Kafka topic name");
    }
    return topic;
  }
}
