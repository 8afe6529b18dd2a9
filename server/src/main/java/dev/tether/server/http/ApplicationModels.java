package dev.tether.server.http;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON of the applications API: an application is one agent's manifest project entry (agent × source). */
final class ApplicationModels {
  private ApplicationModels() {}

  /**
   * One row of the applications list.
   *
   * @param health the worst health of its objects: Degraded (a Failed object or one that failed to apply), Missing,
   *     Progressing, Healthy, or Unknown before the first report and while a sync in progress lists no object yet
   * @param driftPaused whether drift correction is paused for it (by the pause action)
   * @param wave while a commit of several sync waves is applied, the wave in progress (its annotation's value); null otherwise
   * @param waves how many waves that commit has; null with no wave
   * @param waitingFor the sources (depends_on) it waits for before it syncs; empty when it does not wait
   */
  record ApplicationView(String agent, String project, String inventoryId, String kind, String renders, String ref, String commit,
      String phase, String message, String health, int objects, int healthy, int progressing, int degraded, int missing,
      int failed, int drifted, Instant startedAt, Instant finishedAt, long durationMs, boolean connected, boolean driftPaused,
      Integer wave, Integer waves, List<String> waitingFor) {}

  /** The commit a source is at: its message and author when the server's mirror has it, and its page on the Git host. */
  record CommitView(String id, String message, String author, Instant authoredAt, String url) {}

  /** One object of the source as the last sync report has it. */
  record SourceObject(String group, String version, String kind, String namespace, String name, String action, String health,
      String message, String file, String hook) {}

  record SourceDetail(ApplicationView application, CommitView commit, String source, String renderError,
      List<SourceObject> objects) {}

  /**
   * What the cluster has under the source's workloads now; {@code error} says why it could not be read (then
   * children is empty); {@code capped} names the lists cut at the cap (then some children are missing).
   */
  record TreeView(List<LiveTree.Child> children, String error, List<String> capped) {}

  /** A Kubernetes event of an object. */
  record KubeEvent(String type, String reason, String message, int count, String lastSeen, String source) {}

  /**
   * The object panel: the live object (Secret values redacted, managed fields left out), the desired one from Git,
   * the fields Git sets that differ, the object's events; each part null with its reason in {@code problems} when it
   * could not be had.
   */
  record ObjectDetail(String kind, String namespace, String name, String action, String health, String message, String file,
      Map<String, Object> live, Map<String, Object> desired, List<ObjectDiff.Change> diff, List<KubeEvent> events,
      List<String> problems) {}

  /** One sync of a source: what the events feed recorded when it finished. */
  record HistoryEntry(long id, Instant at, String commit, String phase, String message, int applied, int unchanged, int pruned,
      int failed, long durationMs, Instant startedAt, List<String> changes) {}

  /** What an action did: {@code done} is a sentence for the person who clicked. */
  record ActionResult(String action, String agent, String inventoryId, String done) {}
}
