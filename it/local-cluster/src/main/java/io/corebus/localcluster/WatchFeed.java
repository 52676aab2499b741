package io.corebus.localcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Consumer;

/**
 * Every change the store makes, as watch events with their resourceVersion, kept for a while so
 * that a watch can start from the resourceVersion of an earlier list (as clients do) and miss
 * nothing. Feeds the HTTP streaming watches kubectl and client-go use; fabric8's websocket watches
 * are served by the store itself.
 */
final class WatchFeed {

  /** One change. {@code object} is the new state, or the last state for DELETED. */
  record Event(long resourceVersion, String type, JsonNode object) {
    String apiVersion() {
      return object.path("apiVersion").asText();
    }

    String kind() {
      return object.path("kind").asText();
    }

    String namespace() {
      return object.path("metadata").path("namespace").asText("");
    }

    String name() {
      return object.path("metadata").path("name").asText();
    }
  }

  /** The resourceVersion asked for is older than the history kept. */
  static final class Expired extends Exception {
    Expired(String message) {
      super(message, null, false, false);
    }
  }

  private final int capacity;
  private final ArrayDeque<Event> history = new ArrayDeque<>();
  private final Set<Consumer<Event>> subscribers = new CopyOnWriteArraySet<>();
  private long forgottenUpTo;

  WatchFeed(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Records a change from {@code before} to {@code after} (JSON; null = absent). Called by the
   * store, under its write lock, so events arrive in resourceVersion order.
   */
  synchronized void publish(String before, String after, long deletionVersion) {
    if (Objects.equals(before, after)) {
      return;
    }
    Event event;
    if (after == null) {
      ObjectNode last = (ObjectNode) read(before);
      ObjectNode meta = (ObjectNode) last.path("metadata");
      if (meta != null && !meta.isMissingNode()) {
        meta.put("resourceVersion", String.valueOf(deletionVersion));
      }
      event = new Event(deletionVersion, "DELETED", last);
    } else {
      JsonNode now = read(after);
      long rv = now.path("metadata").path("resourceVersion").asLong(deletionVersion);
      event = new Event(rv, before == null ? "ADDED" : "MODIFIED", now);
    }
    history.addLast(event);
    while (history.size() > capacity) {
      forgottenUpTo = history.removeFirst().resourceVersion();
    }
    subscribers.forEach(s -> s.accept(event));
  }

  /**
   * Registers {@code subscriber} for changes after {@code fromVersion}: first those already
   * recorded, handed to {@code replay} before any new one reaches the subscriber.
   */
  synchronized void subscribe(long fromVersion, Consumer<Event> replay, Consumer<Event> subscriber)
      throws Expired {
    if (fromVersion < forgottenUpTo) {
      throw new Expired(
          "too old resource version: " + fromVersion + " (" + (forgottenUpTo + 1) + ")");
    }
    List<Event> missed = new ArrayList<>();
    for (Event e : history) {
      if (e.resourceVersion() > fromVersion) {
        missed.add(e);
      }
    }
    missed.forEach(replay);
    subscribers.add(subscriber);
  }

  void unsubscribe(Consumer<Event> subscriber) {
    subscribers.remove(subscriber);
  }

  int subscribers() {
    return subscribers.size();
  }

  private static JsonNode read(String json) {
    try {
      return Serialization.jsonMapper().readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
