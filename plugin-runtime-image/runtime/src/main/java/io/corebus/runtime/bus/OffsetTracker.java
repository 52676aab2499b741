package io.corebus.runtime.bus;

import java.util.TreeMap;

/**
 * The records of one partition that are being processed, possibly finishing out of order, and the
 * offset that may be committed: one past the highest offset below which everything finished. So a
 * commit never skips a record still being processed.
 */
final class OffsetTracker {
  private final TreeMap<Long, Boolean> records = new TreeMap<>();
  private long committable = -1;
  private long committed = -1;

  synchronized void started(long offset) {
    records.put(offset, Boolean.FALSE);
  }

  synchronized void finished(long offset) {
    records.replace(offset, Boolean.TRUE);
    while (!records.isEmpty() && records.firstEntry().getValue()) {
      committable = records.pollFirstEntry().getKey() + 1;
    }
  }

  /** Records started and not finished. */
  synchronized int inFlight() {
    int n = 0;
    for (Boolean done : records.values()) {
      if (!done) {
        n++;
      }
    }
    return n;
  }

  /** The offset to commit now, or -1 when nothing new finished since the last commit. */
  synchronized long toCommit() {
    return committable > committed ? committable : -1;
  }

  synchronized void committed(long offset) {
    committed = Math.max(committed, offset);
  }
}
