package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.RootPathsBuilder;
import io.fabric8.kubernetes.api.model.ServerAddressByClientCIDR;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sits in front of fabric8's CRUD store and adds what kubectl, the operator and the kubelet need
 * from an API server and the store does not do: discovery, {@code /version} and health paths, the
 * scale subresource of custom resources, pod logs, graceful pod deletion, strategic merge patches
 * (approximated), printer-column tables for kubectl, and owner-reference garbage collection.
 * Everything else goes to the store unchanged.
 */
final class ApiServerDispatcher extends Dispatcher {

  private static final Logger LOG = Logger.getLogger(ApiServerDispatcher.class.getName());
  private static final String JSON = "application/json";
  private static final String JSON_PATCH = "application/json-patch+json";
  private static final String CRDS_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

  /**
   * An OpenAPI v2 document with no paths and no definitions, in the protobuf form kubectl asks for:
   * {@code swagger: "2.0", info: {title: "Kubernetes", version: "v1.32.0"}}. kubectl needs one
   * before {@code apply} or {@code create}; with no schema in it, it skips client-side validation,
   * and with no fieldValidation parameter, it does not ask for server-side validation.
   */
  private static final byte[] EMPTY_OPENAPI_V2 = emptyOpenApiV2();

  private static byte[] emptyOpenApiV2() {
    byte[] title = "Kubernetes".getBytes(StandardCharsets.UTF_8);
    byte[] version = "v1.32.0".getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream info = new java.io.ByteArrayOutputStream();
    info.write(0x0A); // Info.title, field 1, length-delimited
    info.write(title.length);
    info.writeBytes(title);
    info.write(0x12); // Info.version, field 2
    info.write(version.length);
    info.writeBytes(version);
    java.io.ByteArrayOutputStream doc = new java.io.ByteArrayOutputStream();
    doc.write(0x0A); // Document.swagger, field 1
    doc.write(3);
    doc.writeBytes("2.0".getBytes(StandardCharsets.UTF_8));
    doc.write(0x12); // Document.info, field 2
    doc.write(info.size());
    doc.writeBytes(info.toByteArray());
    return doc.toByteArray();
  }

  private final ObjectMapper json = Serialization.jsonMapper();
  private final ObjectStore store;
  private final WatchFeed feed = new WatchFeed(4096);
  private volatile String serverAddress = "127.0.0.1:0";
  private final String gitVersion;
  private final ExecutorService collector;
  private final AtomicBoolean collectionPending = new AtomicBoolean();
  private volatile LocalApiServer.PodLogSource podLogs = (ns, pod) -> Optional.empty();

  ApiServerDispatcher(boolean garbageCollection) {
    this.gitVersion = "v1.32.0+corebus-local";
    this.collector =
        garbageCollection
            ? Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "corebus-apiserver-gc");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    this.store = new ObjectStore(this::scheduleCollection, feed);
  }

  /** Where {@code GET .../pods/<name>/log} reads from. */
  void podLogs(LocalApiServer.PodLogSource source) {
    this.podLogs = source;
  }

  ObjectStore store() {
    return store;
  }

  WatchFeed feed() {
    return feed;
  }

  /** host:port, as /api tells clients. */
  void serverAddress(String address) {
    this.serverAddress = address;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    try {
      MockResponse response = route(request);
      if (response.getHeaders().header("Content-Type") == null
          && response.getBody() != null
          && response.getBody().size() > 0
          && response.getBody().getBytes()[0] == '{') {
        response.setHeader("Content-Type", JSON);
      }
      return response;
    } catch (DryRunRefused e) {
      return status(400, "BadRequest", e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "failed to handle " + request, e);
      return status(500, "InternalError", e.toString());
    }
  }

  @Override
  public void shutdown() {
    if (collector != null) {
      collector.shutdownNow();
    }
  }

  private MockResponse route(RecordedRequest original) {
    RecordedRequest request = withoutWriteQuery(original);
    String path = request.getPath();
    HttpMethod method = request.method();
    List<String> segments = ResourcePath.segments(path);
    if (method == HttpMethod.GET) {
      Optional<MockResponse> discovery = discovery(segments);
      if (discovery.isPresent()) {
        return discovery.get();
      }
    }
    if (method == HttpMethod.POST && isAccessReview(segments)) {
      return accessReview(request, segments.get(3));
    }
    Optional<ResourcePath> parsed = ResourcePath.parse(path);
    if (parsed.isEmpty()) {
      return store.dispatch(request);
    }
    ResourcePath p = parsed.get();
    boolean core = p.group().isEmpty();
    if ("log".equals(p.subresource()) && core && "pods".equals(p.plural())) {
      return method == HttpMethod.GET ? podLog(p) : status(405, "MethodNotAllowed", "logs: GET");
    }
    if ("scale".equals(p.subresource())) {
      return scale(request, p);
    }
    if (p.subresource() != null
        && !p.subresource().equals("status")
        && !(core && p.plural().equals("namespaces"))) {
      return status(
          404,
          "NotFound",
          "the local API server does not serve the " + p.subresource() + " subresource");
    }
    if (method == HttpMethod.DELETE && core && "pods".equals(p.plural())) {
      long grace = gracePeriod(request, p);
      return store.withPodDelete(grace, () -> store.dispatch(request));
    }
    if (method == HttpMethod.PATCH && isMergePatch(request)) {
      return asJsonPatch(request, p);
    }
    if (method == HttpMethod.GET) {
      boolean watch = "true".equals(p.query().get("watch")) || "1".equals(p.query().get("watch"));
      MockResponse response;
      try {
        response =
            p.name() == null && hasSelector(p)
                ? selected(request, p, watch)
                : store.dispatch(request);
      } catch (IllegalArgumentException e) {
        return status(400, "BadRequest", e.getMessage());
      }
      if (!watch && response.code() == 200 && wantsTable(request)) {
        return table(p, response);
      }
      return response;
    }
    return store.dispatch(request);
  }

  // --- access reviews ------------------------------------------------------------------------

  private static boolean isAccessReview(List<String> segments) {
    return segments.size() == 4
        && segments.get(0).equals("apis")
        && segments.get(1).equals("authorization.k8s.io")
        && segments.get(2).equals("v1")
        && (segments.get(3).equals("selfsubjectrulesreviews")
            || segments.get(3).equals("selfsubjectaccessreviews"));
  }

  /**
   * The local cluster has no RBAC: whoever asks may do anything. A SelfSubjectRulesReview (what
   * JOSDK's leader election checks before it starts: create, update and get on leases) gets one
   * rule allowing every verb on every resource; a SelfSubjectAccessReview gets allowed. Nothing is
   * stored, as on a real API server.
   */
  private MockResponse accessReview(RecordedRequest request, String plural) {
    JsonNode body = read(request.getBody());
    if (!body.isObject()) {
      return status(400, "BadRequest", plural + ": the body is not an object");
    }
    ObjectNode review = (ObjectNode) body;
    ObjectNode status = json.createObjectNode();
    if (plural.equals("selfsubjectrulesreviews")) {
      ObjectNode rule = status.putArray("resourceRules").addObject();
      rule.putArray("verbs").add("*");
      rule.putArray("apiGroups").add("*");
      rule.putArray("resources").add("*");
      ObjectNode nonResource = status.putArray("nonResourceRules").addObject();
      nonResource.putArray("verbs").add("*");
      nonResource.putArray("nonResourceURLs").add("*");
      status.put("incomplete", false);
    } else {
      status.put("allowed", true);
      status.put("reason", "the local cluster has no RBAC");
    }
    review.set("status", status);
    return ok(review).setResponseCode(201);
  }

  // --- selectors -----------------------------------------------------------------------------

  private static boolean hasSelector(ResourcePath p) {
    return p.query().containsKey("labelSelector") || p.query().containsKey("fieldSelector");
  }

  /**
   * Lists filtered here, with set-based label selectors and any field; watches go to the store with
   * the terms it can evaluate (a watch with others gets more events than it asked for).
   */
  private MockResponse selected(RecordedRequest request, ResourcePath p, boolean watch) {
    List<Selectors.Requirement> labels = Selectors.parse(p.query().get("labelSelector"));
    List<Selectors.Requirement> fields = Selectors.parse(p.query().get("fieldSelector"));
    Map<String, String> query = Selectors.without(p.query(), "labelSelector", "fieldSelector");
    if (watch) {
      List<Selectors.Requirement> storeLabels =
          labels.stream().filter(Selectors.Requirement::storeCanEvaluate).toList();
      List<Selectors.Requirement> storeFields =
          fields.stream().filter(Selectors::storeIndexes).toList();
      if (storeLabels.size() < labels.size() || storeFields.size() < fields.size()) {
        LOG.warning(
            "watch "
                + request.getPath()
                + ": the local API server filters watches by equality labels and by name and"
                + " namespace only; this watch also gets events outside its selector");
      }
      if (!storeLabels.isEmpty()) {
        query.put("labelSelector", Selectors.forStore(storeLabels));
      }
      if (!storeFields.isEmpty()) {
        query.put("fieldSelector", Selectors.forStore(storeFields));
      }
      return store.dispatch(withQuery(request, p, query));
    }
    MockResponse all = store.dispatch(withQuery(request, p, query));
    if (all.code() != 200) {
      return all;
    }
    JsonNode list = read(all.getBody());
    if (!list.has("items")) {
      return all;
    }
    com.fasterxml.jackson.databind.node.ArrayNode kept = json.createArrayNode();
    for (JsonNode item : list.path("items")) {
      if (Selectors.labelsMatch(labels, item) && Selectors.fieldsMatch(fields, item)) {
        kept.add(item);
      }
    }
    ((ObjectNode) list).set("items", kept);
    return ok(list);
  }

  private static RecordedRequest withQuery(
      RecordedRequest request, ResourcePath p, Map<String, String> query) {
    StringBuilder path = new StringBuilder(p.objectPath());
    String sep = "?";
    for (Map.Entry<String, String> e : query.entrySet()) {
      path.append(sep)
          .append(java.net.URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
          .append('=')
          .append(java.net.URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      sep = "&";
    }
    return new RecordedRequest(
        request.getHttpVersion(),
        request.method(),
        path.toString(),
        request.getHeaders(),
        request.getBody());
  }

  /**
   * Drops the query of POST, PUT and PATCH requests (fieldManager, fieldValidation and the like),
   * which the store would take for part of the path: {@code .../status?fieldManager=x} does not end
   * with /status. Refuses dry runs, which the store would carry out.
   */
  private RecordedRequest withoutWriteQuery(RecordedRequest request) {
    HttpMethod m = request.method();
    int q = request.getPath().indexOf('?');
    if (q < 0 || !(m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH)) {
      return request;
    }
    if (ResourcePath.query(request.getPath()).containsKey("dryRun")) {
      throw new DryRunRefused();
    }
    return new RecordedRequest(
        request.getHttpVersion(),
        m,
        request.getPath().substring(0, q),
        request.getHeaders(),
        request.getBody());
  }

  private static final class DryRunRefused extends RuntimeException {
    DryRunRefused() {
      super("the local API server does not do dry runs", null, false, false);
    }
  }

  // --- discovery -----------------------------------------------------------------------------

  ApiDiscovery currentDiscovery() {
    MockResponse crds = store.handleGet(CRDS_PATH);
    List<JsonNode> items = new ArrayList<>();
    read(crds.getBody()).path("items").forEach(items::add);
    return ApiDiscovery.of(items);
  }

  private Optional<MockResponse> discovery(List<String> s) {
    if (s.isEmpty()) {
      List<String> paths = new ArrayList<>(List.of("/api", "/api/v1", "/apis", "/version"));
      paths.addAll(List.of("/healthz", "/livez", "/readyz"));
      currentDiscovery().groups().getGroups().stream()
          .flatMap(g -> g.getVersions().stream())
          .forEach(v -> paths.add("/apis/" + v.getGroupVersion()));
      return Optional.of(ok(new RootPathsBuilder().withPaths(paths).build()));
    }
    String first = s.get(0);
    if (s.size() == 1
        && (first.equals("healthz") || first.equals("livez") || first.equals("readyz"))) {
      return Optional.of(new MockResponse().setResponseCode(200).setBody("ok"));
    }
    if (s.size() == 1 && first.equals("version")) {
      return Optional.of(
          ok(
              Map.of(
                  "major", "1",
                  "minor", "32",
                  "gitVersion", gitVersion,
                  "gitCommit", "0000000000000000000000000000000000000000",
                  "gitTreeState", "clean",
                  "buildDate", "2025-01-01T00:00:00Z",
                  "goVersion", "n/a (fabric8 mock server)",
                  "compiler", "n/a",
                  "platform", "linux/amd64")));
    }
    if (first.equals("api") && s.size() == 1) {
      return Optional.of(
          ok(
              new APIVersionsBuilder()
                  .withVersions("v1")
                  .withServerAddressByClientCIDRs(
                      new ServerAddressByClientCIDR("0.0.0.0/0", serverAddress))
                  .build()));
    }
    if (first.equals("api") && s.size() == 2) {
      return Optional.of(
          currentDiscovery()
              .resourceList("", s.get(1))
              .map(this::ok)
              .orElseGet(() -> status(404, "NotFound", "no API version " + s.get(1))));
    }
    if (first.equals("apis") && s.size() == 1) {
      return Optional.of(ok(currentDiscovery().groups()));
    }
    if (first.equals("apis") && s.size() == 2) {
      return Optional.of(
          currentDiscovery()
              .group(s.get(1))
              .map(this::ok)
              .orElseGet(() -> status(404, "NotFound", "no API group " + s.get(1))));
    }
    if (first.equals("apis") && s.size() == 3) {
      return Optional.of(
          currentDiscovery()
              .resourceList(s.get(1), s.get(2))
              .map(this::ok)
              .orElseGet(
                  () ->
                      status(
                          404, "NotFound", "no API group/version " + s.get(1) + "/" + s.get(2))));
    }
    if (first.equals("openapi") && s.size() == 2 && s.get(1).equals("v2")) {
      return Optional.of(
          new MockResponse()
              .setResponseCode(200)
              .setHeader("Content-Type", "application/octet-stream")
              .setBody(EMPTY_OPENAPI_V2));
    }
    if (first.equals("openapi")) {
      return Optional.of(
          status(404, "NotFound", "the local API server publishes no OpenAPI v3 document"));
    }
    return Optional.empty();
  }

  // --- scale subresource ---------------------------------------------------------------------

  private MockResponse scale(RecordedRequest request, ResourcePath p) {
    Optional<ApiDiscovery.Resource> resource =
        currentDiscovery().find(p.group(), p.version(), p.plural());
    ApiDiscovery.CustomResource custom = resource.map(ApiDiscovery.Resource::custom).orElse(null);
    if (custom == null || custom.specReplicasPath() == null || p.name() == null) {
      return status(404, "NotFound", p.plural() + " has no scale subresource here");
    }
    String objectPath = p.objectPath();
    MockResponse current = store.handleGet(objectPath);
    if (current.code() != 200) {
      return current;
    }
    JsonNode object = read(current.getBody());
    ObjectNode scale = scaleOf(object, custom);
    if (request.method() == HttpMethod.GET) {
      return ok(scale);
    }
    JsonNode desired;
    String body = request.getBody() == null ? "" : request.getBody().readUtf8();
    try {
      if (request.method() == HttpMethod.PUT) {
        desired = json.readTree(body);
      } else if (request.method() == HttpMethod.PATCH) {
        String type = contentType(request);
        if (type.contains("json-patch")) {
          desired = JsonPatch.apply(json.readTree(body), scale);
        } else {
          desired = json.readerForUpdating(scale.deepCopy()).readValue(body);
        }
      } else {
        return status(405, "MethodNotAllowed", "scale: GET, PUT, PATCH");
      }
    } catch (IOException | RuntimeException e) {
      return status(400, "BadRequest", "cannot read the Scale: " + e.getMessage());
    }
    String expectedVersion = desired.path("metadata").path("resourceVersion").asText("");
    if (!expectedVersion.isEmpty()
        && !expectedVersion.equals(object.path("metadata").path("resourceVersion").asText())) {
      return status(
          409,
          "Conflict",
          "the object has been modified; please apply your changes to the latest version and try again");
    }
    JsonNode replicas = desired.path("spec").path("replicas");
    if (!replicas.isIntegralNumber() || replicas.asInt() < 0) {
      return status(422, "Invalid", "spec.replicas must be a non-negative integer");
    }
    ObjectNode patch = json.createObjectNode();
    ObjectNode node = patch;
    String[] fields = jsonPath(custom.specReplicasPath());
    for (int i = 0; i < fields.length - 1; i++) {
      node = node.putObject(fields[i]);
    }
    node.put(fields[fields.length - 1], replicas.asInt());
    MockResponse updated =
        jsonPatch(
            objectPath, object, MergePatch.apply(object.deepCopy(), patch), Headers.builder());
    if (updated.code() / 100 != 2) {
      return updated;
    }
    return ok(scaleOf(read(updated.getBody()), custom));
  }

  private ObjectNode scaleOf(JsonNode object, ApiDiscovery.CustomResource custom) {
    ObjectNode scale = json.createObjectNode();
    scale.put("kind", "Scale");
    scale.put("apiVersion", "autoscaling/v1");
    ObjectNode meta = scale.putObject("metadata");
    for (String f : List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      JsonNode v = object.path("metadata").path(f);
      if (!v.isMissingNode()) {
        meta.set(f, v);
      }
    }
    scale.putObject("spec").put("replicas", at(object, custom.specReplicasPath()).asInt(0));
    ObjectNode st = scale.putObject("status");
    st.put("replicas", at(object, custom.statusReplicasPath()).asInt(0));
    JsonNode selector = at(object, custom.labelSelectorPath());
    if (selector.isTextual()) {
      st.put("selector", selector.asText());
    }
    return scale;
  }

  private static String[] jsonPath(String path) {
    return path.replaceFirst("^\\.", "").split("\\.");
  }

  private static JsonNode at(JsonNode object, String path) {
    if (path == null || path.isEmpty()) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
    JsonNode n = object;
    for (String f : jsonPath(path)) {
      n = n.path(f);
    }
    return n;
  }

  // --- pods ----------------------------------------------------------------------------------

  private MockResponse podLog(ResourcePath p) {
    if (p.namespace() == null) {
      return status(404, "NotFound", "pods/log needs a namespace");
    }
    if (store.handleGet(ResourcePath.objectPath("", "v1", p.namespace(), "pods", p.name())).code()
        != 200) {
      return status(404, "NotFound", "pods \"" + p.name() + "\" not found");
    }
    Optional<Path> file = podLogs.logFile(p.namespace(), p.name());
    if (file.isEmpty() || !Files.exists(file.get())) {
      return status(
          400, "BadRequest", "container of pod \"" + p.name() + "\" has not started (no log yet)");
    }
    try {
      String text = Files.readString(file.get(), StandardCharsets.UTF_8);
      String tail = p.query().get("tailLines");
      if (tail != null) {
        int n = Integer.parseInt(tail);
        List<String> lines = text.lines().toList();
        text = String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        if (!text.isEmpty()) {
          text += "\n";
        }
      }
      return new MockResponse()
          .setResponseCode(200)
          .setHeader("Content-Type", "text/plain")
          .setBody(text);
    } catch (IOException | NumberFormatException e) {
      return status(400, "BadRequest", "cannot read the log: " + e.getMessage());
    }
  }

  /** The grace period a DELETE asks for (query or DeleteOptions body), -1 when it does not. */
  private long gracePeriod(RecordedRequest request, ResourcePath p) {
    String q = p.query().get("gracePeriodSeconds");
    if (q != null) {
      try {
        return Long.parseLong(q);
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    Buffer body = request.getBody();
    if (body != null && body.size() > 0) {
      JsonNode options = read(new Buffer(body.getBytes()));
      if (options.path("gracePeriodSeconds").isNumber()) {
        return options.path("gracePeriodSeconds").asLong();
      }
    }
    return -1;
  }

  // --- merge patches ---------------------------------------------------------------------------

  private static boolean isMergePatch(RecordedRequest request) {
    String type = contentType(request);
    return type.contains("merge-patch") || type.contains("strategic-merge-patch");
  }

  /**
   * The store applies merge patches with Jackson's readerForUpdating, which appends to lists and
   * stores nulls instead of deleting fields, and it refuses strategic merge patches. So compute the
   * patched object here (RFC 7386, or the strategic approximation) and hand the store the JSON
   * patch that leads there.
   */
  private MockResponse asJsonPatch(RecordedRequest request, ResourcePath p) {
    MockResponse existing = store.handleGet(p.objectPath());
    if (existing.code() != 200) {
      return existing;
    }
    JsonNode current = read(existing.getBody());
    JsonNode patch = read(new Buffer(request.getBody().getBytes()));
    JsonNode target =
        contentType(request).contains("strategic")
            ? StrategicMergePatch.apply(current.deepCopy(), patch)
            : MergePatch.apply(current.deepCopy(), patch);
    if (target == null || !target.isObject()) {
      return status(422, "Invalid", "the patch does not leave an object");
    }
    return jsonPatch(request.getPath(), current, target, request.getHeaders().newBuilder());
  }

  /** Sends the store the JSON patch that turns {@code current} into {@code target}. */
  private MockResponse jsonPatch(
      String path, JsonNode current, JsonNode target, Headers.Builder headers) {
    JsonNode ops =
        JsonDiff.asJson(
            current,
            target,
            java.util.EnumSet.of(DiffFlags.OMIT_MOVE_OPERATION, DiffFlags.OMIT_COPY_OPERATION));
    return store.dispatch(
        new RecordedRequest(
            "HTTP/1.1",
            HttpMethod.PATCH,
            path,
            headers.set("Content-Type", JSON_PATCH).build(),
            new Buffer(ops.toString().getBytes(StandardCharsets.UTF_8))));
  }

  // --- tables for kubectl --------------------------------------------------------------------

  private static boolean wantsTable(RecordedRequest request) {
    String accept = request.getHeader("Accept");
    return accept != null && accept.contains("as=Table");
  }

  private MockResponse table(ResourcePath p, MockResponse response) {
    Optional<ApiDiscovery.Resource> resource =
        currentDiscovery().find(p.group(), p.version(), p.plural());
    JsonNode body = read(response.getBody());
    List<JsonNode> objects = new ArrayList<>();
    if (body.has("items")) {
      body.path("items").forEach(objects::add);
    } else {
      objects.add(body);
    }
    ObjectNode table = PrinterColumns.table(resource.orElse(null), objects, body);
    return ok(table);
  }

  // --- garbage collection --------------------------------------------------------------------

  private void scheduleCollection() {
    if (collector != null && collectionPending.compareAndSet(false, true)) {
      collector.execute(this::collectGarbage);
    }
  }

  /** Deletes every object all of whose owners are gone (background propagation). */
  private void collectGarbage() {
    collectionPending.set(false);
    try {
      List<String> all;
      synchronized (store.getMap()) {
        all = new ArrayList<>(store.getMap().values());
      }
      List<JsonNode> objects = all.stream().map(this::read).toList();
      Set<String> uids = new HashSet<>();
      objects.forEach(o -> uids.add(o.path("metadata").path("uid").asText()));
      ApiDiscovery discovery = currentDiscovery();
      for (JsonNode o : objects) {
        JsonNode owners = o.path("metadata").path("ownerReferences");
        if (!owners.isArray() || owners.isEmpty()) {
          continue;
        }
        boolean orphaned = true;
        for (JsonNode owner : owners) {
          orphaned &= !uids.contains(owner.path("uid").asText());
        }
        if (!orphaned || o.path("metadata").has("deletionTimestamp")) {
          continue;
        }
        String apiVersion = o.path("apiVersion").asText();
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        String kind = o.path("kind").asText();
        discovery.resources().stream()
            .filter(
                r ->
                    r.group().equals(group) && r.version().equals(version) && r.kind().equals(kind))
            .findFirst()
            .ifPresent(
                r -> {
                  String ns = r.namespaced() ? o.path("metadata").path("namespace").asText() : null;
                  String path =
                      ResourcePath.objectPath(
                          group, version, ns, r.plural(), o.path("metadata").path("name").asText());
                  dispatch(
                      new RecordedRequest(
                          "HTTP/1.1",
                          HttpMethod.DELETE,
                          path,
                          Headers.builder().build(),
                          new Buffer(new byte[0])));
                });
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "garbage collection failed", e);
    }
  }

  /** Waits until garbage collection that is already scheduled has run (for tests). */
  void awaitCollection()
      throws InterruptedException,
          java.util.concurrent.ExecutionException,
          java.util.concurrent.TimeoutException {
    if (collector != null) {
      collector.submit(() -> {}).get(10, TimeUnit.SECONDS);
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private static String contentType(RecordedRequest request) {
    String type = request.getHeader("Content-Type");
    return type == null ? "" : type;
  }

  private JsonNode read(Buffer body) {
    if (body == null || body.size() == 0) {
      return json.createObjectNode();
    }
    try {
      return json.readTree(body.getBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }

  private JsonNode read(String body) {
    try {
      return json.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }

  private MockResponse ok(Object body) {
    try {
      return new MockResponse()
          .setResponseCode(200)
          .setHeader("Content-Type", JSON)
          .setBody(json.writeValueAsString(body));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private MockResponse status(int code, String reason, String message) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", JSON)
        .setBody(
            Serialization.asJson(
                new StatusBuilder()
                    .withStatus("Failure")
                    .withCode(code)
                    .withReason(reason)
                    .withMessage(message)
                    .build()));
  }
}
