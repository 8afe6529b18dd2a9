package dev.tether.server.git;

import dev.tether.server.store.Project;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.api.FetchCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * One bare mirror per project under the data dir, updated by fetch (never re-cloned), and read
 * from its object database only: there is no checkout, so a symlink in a repository points at
 * nothing on the server's disk.
 */
public final class ProjectMirrors implements AutoCloseable {
  private final Path root;
  private final Duration timeout;
  private final SshSessions ssh;
  private final Map<String, Repository> open = new ConcurrentHashMap<>();

  public ProjectMirrors(Path root, Duration timeout) {
    this.root = root;
    this.timeout = timeout;
    this.ssh = new SshSessions(root.resolve(".ssh"));
  }

  /** Fetches every branch and tag of {@code project} and tells which commit its default branch is at. */
  public FetchOutcome fetch(Project project) throws GitFetchException {
    Repository repo = repository(project.id());
    String where = "project '" + project.id() + "' from " + GitUrls.redact(project.url());
    FetchResult result;
    try (Git git = new Git(repo)) {
      FetchCommand fetch = git.fetch()
          .setRemote(project.url())
          .setRefSpecs(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"))
          .setRemoveDeletedRefs(true)
          .setTimeout((int) Math.max(1, timeout.toSeconds()));
      GitCredentials credentials = project.credentials();
      if (credentials instanceof GitCredentials.Basic basic) {
        fetch.setCredentialsProvider(new UsernamePasswordCredentialsProvider(basic.username(), basic.password()));
      } else if (credentials instanceof GitCredentials.Token token) {
        fetch.setCredentialsProvider(new UsernamePasswordCredentialsProvider(token.username(), token.token()));
      } else if (credentials instanceof GitCredentials.SshKey key) {
        fetch.setTransportConfigCallback(transport -> {
          if (transport instanceof SshTransport sshTransport) {
            sshTransport.setSshSessionFactory(ssh.forProject(project.id(), key));
          }
        });
      }
      result = fetch.call();
    } catch (GitAPIException | RuntimeException e) {
      throw new GitFetchException("cannot fetch " + where + ": " + describe(e), e);
    }
    String branch = project.defaultBranch().orElseGet(() -> defaultBranch(result, repo));
    if (branch == null) {
      throw new GitFetchException("cannot fetch " + where + ": the repository has no branches yet", null);
    }
    try {
      Ref tip = repo.exactRef(Constants.R_HEADS + branch);
      if (tip == null) {
        throw new GitFetchException("cannot use " + where + ": it has no branch '" + branch + "'", null);
      }
      RefUpdate head = repo.updateRef(Constants.HEAD);
      head.disableRefLog();
      head.link(Constants.R_HEADS + branch);
      return new FetchOutcome(project.id(), branch, tip.getObjectId().name());
    } catch (IOException e) {
      throw new GitFetchException("cannot read the mirror of " + where + ": " + e.getMessage(), e);
    }
  }

  /**
   * The bytes of a regular file at a commit, or empty when there is no such path.
   *
   * @throws RepositoryFileException if the path is a symlink, a directory or a submodule, or is larger than {@code maxBytes}
   */
  public Optional<byte[]> readFile(String projectId, String commit, String path, long maxBytes) throws RepositoryFileException {
    Repository repo = repository(projectId);
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit revCommit = walk.parseCommit(ObjectId.fromString(commit));
      try (TreeWalk tree = TreeWalk.forPath(repo, path, revCommit.getTree())) {
        if (tree == null) {
          return Optional.empty();
        }
        FileMode mode = tree.getFileMode(0);
        if (mode == FileMode.SYMLINK) {
          throw new RepositoryFileException(path + " is a symbolic link; Tether reads only regular files from Git");
        }
        if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
          throw new RepositoryFileException(path + " is not a file (it is a " + (mode == FileMode.TREE ? "directory" : "submodule") + ")");
        }
        ObjectLoader loader = repo.open(tree.getObjectId(0));
        if (loader.getSize() > maxBytes) {
          throw new RepositoryFileException(path + " is " + loader.getSize() + " bytes; the limit is " + maxBytes);
        }
        return Optional.of(loader.getBytes());
      }
    } catch (MissingObjectException e) {
      throw new RepositoryFileException("commit " + commit + " is not in the mirror of project '" + projectId + "'");
    } catch (IOException e) {
      throw new RepositoryFileException("cannot read " + path + " at " + commit + " in project '" + projectId + "': " + e.getMessage());
    }
  }

  private static String defaultBranch(FetchResult result, Repository repo) {
    Ref head = result.getAdvertisedRef(Constants.HEAD);
    if (head != null && head.isSymbolic() && head.getTarget().getName().startsWith(Constants.R_HEADS)) {
      return head.getTarget().getName().substring(Constants.R_HEADS.length());
    }
    // Servers that do not say where HEAD points: take main, then master, then the only branch.
    try {
      for (String candidate : new String[] {"main", "master"}) {
        if (repo.exactRef(Constants.R_HEADS + candidate) != null) {
          return candidate;
        }
      }
      var branches = repo.getRefDatabase().getRefsByPrefix(Constants.R_HEADS);
      return branches.size() == 1 ? branches.get(0).getName().substring(Constants.R_HEADS.length()) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Repository repository(String projectId) {
    return open.computeIfAbsent(projectId, id -> {
      // '~' never appears in a project id, so the flat name is unique.
      File dir = root.resolve(id.replace('/', '~') + ".git").toFile();
      try {
        if (!new File(dir, "HEAD").exists()) {
          Files.createDirectories(dir.toPath());
          Git.init().setBare(true).setDirectory(dir).setInitialBranch("main").call().close();
        }
        return new FileRepositoryBuilder().setGitDir(dir).setBare().build();
      } catch (IOException | GitAPIException e) {
        throw new IllegalStateException("cannot create the mirror of project '" + id + "' in " + dir + ": " + e.getMessage(), e);
      }
    });
  }

  private static String describe(Throwable e) {
    // JGit wraps the useful message (auth failure, unknown host, refused) a level or two down.
    String message = e.getMessage();
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    if (message != null && message.contains("Server key did not validate")) {
      message += " (the SSH host key is not in the project's known hosts, or it changed: check the host's key and "
          + "update the project's known_hosts)";
    }
    return GitUrls.redact(message == null ? e.getClass().getSimpleName() : message);
  }

  @Override
  public void close() {
    open.values().forEach(Repository::close);
    open.clear();
  }
}
