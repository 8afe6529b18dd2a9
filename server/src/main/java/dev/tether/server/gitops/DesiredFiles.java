package dev.tether.server.gitops;

import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.RepositoryFileException;
import java.util.Optional;

/**
 * A manifest file as the agent was given it at a commit: read from the project's mirror for raw
 * files, or taken from the entry's last render. The web UI reads the desired object from it.
 */
public final class DesiredFiles {
  private static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  private final ProjectMirrors mirrors;
  private final ManifestDistribution distribution;

  DesiredFiles(ProjectMirrors mirrors, ManifestDistribution distribution) {
    this.mirrors = mirrors;
    this.distribution = distribution;
  }

  /**
   * The file's bytes, or empty when the commit does not have it (or, for a rendered source, when the
   * last render is of another commit or the agent's stream is closed).
   */
  public Optional<byte[]> file(String agentName, String inventoryId, String projectId, String commit, String path)
      throws RepositoryFileException {
    Optional<RenderedSources.Outcome> render = distribution.lastRender(agentName, inventoryId);
    if (render.isPresent()) {
      if (render.get().selection() == null || !commit.equals(render.get().commit())) {
        return Optional.empty();
      }
      return render.get().selection().files().stream().filter(f -> f.path().equals(path)).map(ManifestSelection.File::content)
          .findFirst();
    }
    return mirrors.readFile(projectId, commit, path.startsWith("/") ? path.substring(1) : path, MAX_FILE_BYTES);
  }
}
