package dev.tether.server.events;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Folds repeats of one thing (an agent reconnecting in a loop, a stranger's refused calls) so that a
 * flood writes a few lines, not one per occurrence. Per key, the first {@code verbatim} occurrences of
 * a window are reported as they are; the rest are counted and summed up once the window ends. While
 * the repeats go on, each following window reports only a summary and lasts twice as long as the one
 * before, up to {@code longestWindow}; a window without repeats forgets the key.
 *
 * <p>Memory is bounded: past {@code maxKeys} keys, new keys share the {@code overflow} key.
 *
 * @param <K> what makes two occurrences "the same"
 */
public final class Repeats<K> {

  /** {@code count} occurrences of {@code key} were folded over {@code over}; {@code last} is the last one's message. */
  public record Summary<K>(K key, int count, Duration over, String last) {

    /** "in the last minute", "in the last 4 minutes", "in the last 30 s". */
    public String period() {
      long seconds = over.toSeconds();
      if (seconds % 60 != 0) {
        return "in the last " + seconds + " s";
      }
      return seconds == 60 ? "in the last minute" : "in the last " + seconds / 60 + " minutes";
    }
  }

  private static final class Window {
    Instant start;
    Duration length;
    int verbatimLeft;
    int folded;
    String last;

    Window(Instant start, Duration length, int verbatimLeft) {
      this.start = start;
      this.length = length;
      this.verbatimLeft = verbatimLeft;
    }

    boolean endedAt(Instant now) {
      return !now.isBefore(start.plus(length));
    }
  }

  private final int verbatim;
  private final Duration window;
  private final Duration longestWindow;
  private final int maxKeys;
  private final K overflow;
  private final Clock clock;
  private final Map<K, Window> windows = new HashMap<>();
  private final List<Summary<K>> ended = new ArrayList<>();
  private Instant nextScan = Instant.MIN;

  public Repeats(int verbatim, Duration window, Duration longestWindow, int maxKeys, K overflow, Clock clock) {
    this.verbatim = verbatim;
    this.window = window;
    this.longestWindow = longestWindow;
    this.maxKeys = maxKeys;
    this.overflow = overflow;
    this.clock = clock;
  }

  /** Counts one occurrence: true when it should be reported as it is, false when it is folded into a later summary. */
  public synchronized boolean admit(K key, String message) {
    Instant now = clock.instant();
    Window current = open(key, now);
    if (current == null && windows.size() >= maxKeys) {
      scan(now);
      if (windows.size() >= maxKeys) {
        key = overflow;
        current = open(key, now);
      }
    }
    if (current == null) {
      current = new Window(now, window, verbatim);
      windows.put(key, current);
    }
    if (current.verbatimLeft > 0) {
      current.verbatimLeft--;
      return true;
    }
    current.folded++;
    current.last = message;
    return false;
  }

  /** Summaries of the windows that have ended since the last call, each once. */
  public synchronized List<Summary<K>> ended() {
    scan(clock.instant());
    List<Summary<K>> out = List.copyOf(ended);
    ended.clear();
    return out;
  }

  /** Summaries of everything folded so far, ended or not: for shutting down. */
  public synchronized List<Summary<K>> flush() {
    Instant now = clock.instant();
    windows.forEach((key, w) -> {
      if (w.folded > 0) {
        ended.add(new Summary<>(key, w.folded, Duration.between(w.start, now), w.last));
      }
    });
    windows.clear();
    List<Summary<K>> out = List.copyOf(ended);
    ended.clear();
    return out;
  }

  synchronized int trackedKeys() {
    return windows.size();
  }

  // Callers may ask on every occurrence of a flood; looking at every key once a second is plenty.
  private void scan(Instant now) {
    if (!now.isBefore(nextScan)) {
      nextScan = now.plusSeconds(1);
      rollEnded(now);
    }
  }

  private void rollEnded(Instant now) {
    for (Iterator<Map.Entry<K, Window>> it = windows.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<K, Window> entry = it.next();
      if (entry.getValue().endedAt(now) && !summarize(entry.getKey(), entry.getValue(), now)) {
        it.remove();
      }
    }
  }

  /** The key's window, rolled on if it has ended; null when the key has none. */
  private Window open(K key, Instant now) {
    Window w = windows.get(key);
    if (w != null && w.endedAt(now) && !summarize(key, w, now)) {
      windows.remove(key);
      return null;
    }
    return w;
  }

  // A window that folded something is summed up and followed by a longer, summary-only one; a quiet one is forgotten.
  private boolean summarize(K key, Window w, Instant now) {
    if (w.folded == 0) {
      return false;
    }
    ended.add(new Summary<>(key, w.folded, w.length, w.last));
    Duration doubled = w.length.multipliedBy(2);
    Duration next = doubled.compareTo(longestWindow) > 0 ? longestWindow : doubled;
    Instant nextStart = w.start.plus(w.length);
    if (!now.isBefore(nextStart.plus(next))) {
      // The follow-up window has passed without a repeat: the next occurrence is news again.
      return false;
    }
    w.start = nextStart;
    w.length = next;
    w.verbatimLeft = 0;
    w.folded = 0;
    w.last = null;
    return true;
  }
}
