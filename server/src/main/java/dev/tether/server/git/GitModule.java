package dev.tether.server.git;

import dev.tether.server.ServerContext;
import dev.tether.server.ServerModule;

/**
 * The Git mirrors of the projects other modules care about, and the poller that keeps them fetched.
 * Offers {@link ProjectMirrors} (read a project's files) and {@link GitPoller} (ask for fetches, hear of them).
 */
public final class GitModule implements ServerModule {
  private static final int PARALLEL_FETCHES = 4;

  private final ProjectMirrors mirrors;
  private final GitPoller poller;

  public GitModule(ServerContext context) {
    mirrors = new ProjectMirrors(context.dataDir().resolve("git"), context.settings().gitTimeout(), context.settings().gitUrls());
    poller = new GitPoller(context.store().projects(), mirrors, context.settings().pollInterval(), PARALLEL_FETCHES,
        context.clock(), context.fetchClaims(), context.events(), context.meters());
    // Replicas: a fetch that finds a change here makes the others fetch too.
    context.notices().ifPresent(notices -> poller.addListener(new ProjectChangeNotices(notices, poller::fetchNow, poller::keptFetched)));
    context.offer(ProjectMirrors.class, mirrors);
    context.offer(GitPoller.class, poller);
  }

  @Override
  public String name() {
    return "git";
  }

  @Override
  public void start() {
    poller.start();
  }

  @Override
  public void stop() {
    poller.close();
    mirrors.close();
  }
}
