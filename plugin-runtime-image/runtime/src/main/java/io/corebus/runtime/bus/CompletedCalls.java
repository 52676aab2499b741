package io.corebus.runtime.bus;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Calls this runtime executed recently, by idempotency key. A retried request (same key) is
 * answered with the first execution's reply instead of running the handler again, also while the
 * first execution is still running. Bounded in size and age; retries of one call land on the same
 * partition (the key is the record key), so the replica that ran it is the one that sees them.
 *
 * <p>One per runtime instance, shared by the RpcServers of every version a hot swap loads: a retry
 * that reaches the new version is answered from the old version's execution. It holds only {@link
 * Reply} values (status, message, bytes), never an object of a plug-in's class loader, so it keeps
 * no swapped-out version alive.
 */
public final class CompletedCalls {
  /** The most calls remembered; older finished ones are forgotten first. */
  public static final int MAX_ENTRIES = 100_000;

  private final Duration window;
  private final int maxEntries;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  private record Entry(CompletableFuture<Reply> reply, long createdNanos) {}

  /** Remembers calls for {@code window}, at most {@link #MAX_ENTRIES}. */
  public CompletedCalls(Duration window) {
    this(window, MAX_ENTRIES);
  }

  CompletedCalls(Duration window, int maxEntries) {
    this.window = window;
    this.maxEntries = maxEntries;
  }

  /**
   * Returns null when the caller should execute the call (and then complete {@code mine}), or the
   * earlier execution's reply to send instead.
   */
  synchronized CompletableFuture<Reply> claim(String key, CompletableFuture<Reply> mine) {
    long now = System.nanoTime();
    evict(now);
    Entry existing = entries.get(key);
    if (existing != null) {
      return existing.reply();
    }
    entries.put(key, new Entry(mine, now));
    return null;
  }

  private void evict(long now) {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Entry e = it.next().getValue();
      boolean tooOld = now - e.createdNanos() > window.toNanos();
      if ((tooOld || entries.size() > maxEntries) && e.reply().isDone()) {
        it.remove();
      } else if (!tooOld) {
        return; // insertion order: the rest is younger
      }
    }
  }

  /** Forgets a call, so a retry executes it again (after a reply that says it did not run). */
  synchronized void forget(String key) {
    entries.remove(key);
  }

  synchronized int size() {
    return entries.size();
  }
}
