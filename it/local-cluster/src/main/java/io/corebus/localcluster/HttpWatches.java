package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * Watches over plain HTTP ({@code ?watch=true} without a websocket upgrade), as kubectl and
 * client-go make them: a chunked response with one JSON event per line, kept open until the client
 * goes or {@code timeoutSeconds} pass. Events come from the {@link WatchFeed}, so a watch that
 * starts at the resourceVersion of a list misses nothing. kubectl's Table events are rendered with
 * the same columns as {@code kubectl get}.
 */
final class HttpWatches {

  private static final Logger LOG = Logger.getLogger(HttpWatches.class.getName());
  private static final long DEFAULT_TIMEOUT_SECONDS = 1800;

  private final ObjectMapper json = Serialization.jsonMapper();
  private final ApiServerDispatcher dispatcher;
  private final WatchFeed feed;
  private final Vertx vertx;

  HttpWatches(ApiServerDispatcher dispatcher, WatchFeed feed, Vertx vertx) {
    this.dispatcher = dispatcher;
    this.feed = feed;
    this.vertx = vertx;
  }

  /** A GET with watch=true on a resource path, not asking for a websocket. */
  boolean accepts(HttpServerRequest request) {
    if (request.method() != io.vertx.core.http.HttpMethod.GET) {
      return false;
    }
    String upgrade = request.getHeader("Upgrade");
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      return false;
    }
    Optional<ResourcePath> p = ResourcePath.parse(request.uri());
    if (p.isEmpty() || p.get().subresource() != null) {
      return false;
    }
    String watch = p.get().query().get("watch");
    return "true".equals(watch) || "1".equals(watch);
  }

  void serve(HttpServerRequest request) {
    ResourcePath p = ResourcePath.parse(request.uri()).orElseThrow();
    HttpServerResponse response = request.response();
    Optional<ApiDiscovery.Resource> resource =
        dispatcher.currentDiscovery().find(p.group(), p.version(), p.plural());
    if (resource.isEmpty()) {
      response
          .setStatusCode(404)
          .putHeader("Content-Type", "application/json")
          .end(status(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    List<Selectors.Requirement> labels;
    List<Selectors.Requirement> fields;
    try {
      labels = Selectors.parse(p.query().get("labelSelector"));
      fields = Selectors.parse(p.query().get("fieldSelector"));
    } catch (IllegalArgumentException e) {
      response
          .setStatusCode(400)
          .putHeader("Content-Type", "application/json")
          .end(status(400, "BadRequest", e.getMessage()));
      return;
    }
    String apiVersion = p.group().isEmpty() ? p.version() : p.group() + "/" + p.version();
    String kind = resource.get().kind();
    Predicate<JsonNode> matches =
        o ->
            o.path("apiVersion").asText().equals(apiVersion)
                && o.path("kind").asText().equals(kind)
                && (p.namespace() == null
                    || p.namespace().equals(o.path("metadata").path("namespace").asText()))
                && (p.name() == null || p.name().equals(o.path("metadata").path("name").asText()))
                && Selectors.labelsMatch(labels, o)
                && Selectors.fieldsMatch(fields, o);
    String accept = request.getHeader("Accept");
    boolean table = accept != null && accept.contains("as=Table");

    response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "application/json");
    long from;
    String rv = p.query().get("resourceVersion");
    boolean initialState = rv == null || rv.isEmpty() || rv.equals("0");
    JsonNode list = null;
    if (initialState) {
      // No resourceVersion: the current objects first, as ADDED, then what changes after.
      MockResponse current =
          dispatcher.dispatch(
              new RecordedRequest(
                  "HTTP/1.1",
                  HttpMethod.GET,
                  ResourcePath.objectPath(p.group(), p.version(), p.namespace(), p.plural(), null),
                  Headers.builder().build(),
                  new Buffer()));
      list = read(current.getBody().getBytes());
      from = list.path("metadata").path("resourceVersion").asLong(0);
    } else {
      try {
        from = Long.parseLong(rv);
      } catch (NumberFormatException e) {
        response.end(event("ERROR", json.valueToTree(Map.of()), resource.get(), false));
        return;
      }
    }
    Consumer<WatchFeed.Event> live =
        e -> {
          if (matches.test(e.object())) {
            response.write(event(e.type(), e.object(), resource.get(), table));
          }
        };
    try {
      if (list != null) {
        for (JsonNode item : list.path("items")) {
          if (matches.test(item)) {
            response.write(event("ADDED", item, resource.get(), table));
          }
        }
      }
      feed.subscribe(from, live, live);
    } catch (WatchFeed.Expired e) {
      ObjectNode gone = (ObjectNode) read(status(410, "Expired", e.getMessage()).getBytes());
      response.end(event("ERROR", gone, resource.get(), false));
      return;
    }
    long timeout = DEFAULT_TIMEOUT_SECONDS;
    try {
      timeout = Long.parseLong(p.query().getOrDefault("timeoutSeconds", "" + timeout));
    } catch (NumberFormatException e) {
      // keep the default
    }
    long timer =
        vertx.setTimer(
            Math.max(1, timeout) * 1000,
            id -> {
              feed.unsubscribe(live);
              if (!response.ended() && !response.closed()) {
                response.end();
              }
            });
    response.closeHandler(
        v -> {
          feed.unsubscribe(live);
          vertx.cancelTimer(timer);
        });
    LOG.fine("HTTP watch " + request.uri() + " from " + from);
  }

  private String event(
      String type, JsonNode object, ApiDiscovery.Resource resource, boolean table) {
    JsonNode payload =
        table && !"ERROR".equals(type)
            ? PrinterColumns.table(resource, List.of(object), json.createObjectNode())
            : object;
    ObjectNode e = json.createObjectNode();
    e.put("type", type);
    e.set("object", payload);
    return e + "\n";
  }

  private JsonNode read(byte[] bytes) {
    try {
      return bytes.length == 0 ? json.createObjectNode() : json.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String status(int code, String reason, String message) {
    ObjectNode s = json.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", message);
    s.put("reason", reason);
    s.put("code", code);
    return s.toString();
  }
}
