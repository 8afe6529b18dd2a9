package dev.tether.server.git;

import dev.tether.server.store.ChangeNotices;
import dev.tether.server.store.Project;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Keeps the mirrors of server replicas in step: when a fetch here finds new branches, tags or commits
 * (a poll this replica claimed, or a push webhook sent here), the other replicas hear the project's id
 * and fetch it themselves, so that their features (configurations, manifests for the streams they hold)
 * see the change. A fetch on a notice is not a poll: it claims nothing and happens only after a change.
 */
public final class ProjectChangeNotices implements GitPoller.Listener, ChangeNotices.Subscriber {
  static final String TOPIC = "project";

  private final ChangeNotices notices;
  private final Consumer<String> fetch;
  private final Supplier<Set<String>> keptFetched;
  // The refs of each project's mirror here after its last fetch: a notice of the same digest needs no fetch.
  private final Map<String, String> known = new ConcurrentHashMap<>();
  // What another replica announced and this one fetches for: found, it is not announced again.
  private final Map<String, String> announced = new ConcurrentHashMap<>();

  /**
   * @param fetch fetches a project now, or once more after a fetch that is running (which may have
   *     started before the change)
   * @param keptFetched the projects this replica keeps fetched, fetched again after missed notices
   */
  public ProjectChangeNotices(ChangeNotices notices, Consumer<String> fetch, Supplier<Set<String>> keptFetched) {
    this.notices = notices;
    this.fetch = fetch;
    this.keptFetched = keptFetched;
    notices.subscribe(TOPIC, this);
  }

  @Override
  public void fetched(Project project, FetchOutcome outcome) {
    String digest = outcome.refsDigest();
    String before = known.put(project.id(), digest);
    String heard = announced.remove(project.id());
    if (!digest.equals(before) && !digest.equals(heard)) {
      notices.publish(TOPIC, digest + " " + project.id());
    }
  }

  @Override
  public void notice(ChangeNotices.Notice notice) {
    if (notice.fromHere()) {
      return;
    }
    String[] digestAndProject = notice.data().split(" ", 2);
    if (digestAndProject.length != 2 || digestAndProject[0].equals(known.get(digestAndProject[1]))) {
      return;
    }
    announced.put(digestAndProject[1], digestAndProject[0]);
    fetch.accept(digestAndProject[1]);
  }

  @Override
  public void missed() {
    // Changes announced meanwhile are unknown: fetch each kept project once; those that did not change send no notice.
    keptFetched.get().forEach(fetch);
  }
}
