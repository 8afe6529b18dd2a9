package dev.tether.server.git;

import dev.tether.server.store.Project;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bare mirror per project under the data dir, updated by fetch (never re-cloned), and read
 * from its object database only: there is no checkout, so a symlink in a repository points at
 * nothing on the server's disk.
 */
public final class ProjectMirrors implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProjectMirrors.class);
  private final Path root;
  private final MirrorFetch fetcher;
  private final Map<String, Repository> open = new ConcurrentHashMap<>();

  public ProjectMirrors(Path root, Duration timeout, GitUrlPolicy policy) {
    this.root = root;
    this.fetcher = new MirrorFetch(timeout, policy, new SshSessions(root.resolve(".ssh")));
  }

  /**
   * Fetches every branch and tag of {@code project} and tells which commit its default branch is at.
   * The URL is checked against the server's policy first, every time: what its host resolves to may
   * have changed since the project was added.
   */
  public FetchOutcome fetch(Project project) throws GitFetchException {
    return fetcher.fetch(project, repository(project.id()));
  }

  /**
   * The bytes of a regular file at a commit, or empty when there is no such path.
   *
   * @throws RepositoryFileException if the path is a symlink, a directory or a submodule, or is larger than {@code maxBytes}
   */
  public Optional<byte[]> readFile(String projectId, String commit, String path, long maxBytes) throws RepositoryFileException {
    FileReads reads = readFiles(projectId, commit, java.util.List.of(path), maxBytes);
    if (reads.refused().containsKey(path)) {
      throw new RepositoryFileException(reads.refused().get(path));
    }
    return Optional.ofNullable(reads.found().get(path));
  }

  /**
   * What {@link #readFiles} found: the bytes of each regular file, and why each refused path was refused
   * (a symlink, a directory or a submodule, larger than the limit). A path in neither is not there.
   */
  public record FileReads(Map<String, byte[]> found, Map<String, String> refused) {}

  /**
   * Reads many files at one commit in one walk of its tree, as {@link #readFile} reads one: the config
   * files of thousands of agents in one config project cost one walk, not one per agent.
   *
   * @throws RepositoryFileException if the commit is not in the mirror or the mirror cannot be read
   */
  public FileReads readFiles(String projectId, String commit, java.util.Collection<String> paths, long maxBytes)
      throws RepositoryFileException {
    Map<String, byte[]> found = new java.util.HashMap<>();
    Map<String, String> refused = new java.util.HashMap<>();
    if (paths.isEmpty()) {
      return new FileReads(found, refused);
    }
    java.util.Set<String> wanted = java.util.Set.copyOf(paths);
    Repository repo = repository(projectId);
    try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
      tree.addTree(walk.parseCommit(ObjectId.fromString(commit)).getTree());
      tree.setFilter(org.eclipse.jgit.treewalk.filter.PathFilterGroup.createFromStrings(wanted));
      // Not recursive: a wanted path that is a directory is refused, not read through.
      tree.setRecursive(false);
      while (tree.next()) {
        String path = tree.getPathString();
        if (!wanted.contains(path)) {
          if (tree.isSubtree()) {
            tree.enterSubtree();
          }
          continue;
        }
        FileMode mode = tree.getFileMode(0);
        if (mode == FileMode.SYMLINK) {
          refused.put(path, path + " is a symbolic link; Tether reads only regular files from Git");
        } else if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
          refused.put(path, path + " is not a file (it is a " + (mode == FileMode.TREE ? "directory" : "submodule") + ")");
        } else {
          ObjectLoader loader = tree.getObjectReader().open(tree.getObjectId(0));
          if (loader.getSize() > maxBytes) {
            refused.put(path, path + " is " + loader.getSize() + " bytes; the limit is " + maxBytes);
          } else {
            found.put(path, loader.getBytes());
          }
        }
      }
      return new FileReads(found, refused);
    } catch (MissingObjectException e) {
      throw new RepositoryFileException("commit " + commit + " is not in the mirror of project '" + projectId + "'");
    } catch (IOException e) {
      throw new RepositoryFileException("cannot read " + (paths.size() == 1 ? paths.iterator().next() : paths.size() + " files")
          + " at " + commit + " in project '" + projectId + "': " + why(e));
    }
  }

  /** Whether the mirror was fetched: its default branch points at a commit. */
  public boolean holds(String projectId) {
    try {
      Ref head = repository(projectId).exactRef(Constants.HEAD);
      return head != null && head.getObjectId() != null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The commit a ref names in the mirror: a branch's tip, a tag (peeled), a commit that must be in
   * the mirror, or the tip of the branch the last fetch found to be the default.
   */
  public String resolve(String projectId, dev.tether.common.config.GitRef ref) throws RepositoryFileException {
    Repository repo = repository(projectId);
    try {
      ObjectId id = switch (ref.kind()) {
        case DEFAULT_BRANCH -> {
          Ref head = repo.exactRef(Constants.HEAD);
          yield head == null || head.getObjectId() == null ? null : head.getObjectId();
        }
        case BRANCH -> Optional.ofNullable(repo.exactRef(Constants.R_HEADS + ref.name())).map(Ref::getObjectId).orElse(null);
        case TAG -> Optional.ofNullable(repo.exactRef(Constants.R_TAGS + ref.name()))
            .map(r -> {
              Ref peeled = peel(repo, r);
              return peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : peeled.getObjectId();
            }).orElse(null);
        case COMMIT -> repo.getObjectDatabase().has(ObjectId.fromString(ref.name())) ? ObjectId.fromString(ref.name()) : null;
      };
      if (id == null) {
        throw new RepositoryFileException(switch (ref.kind()) {
          case DEFAULT_BRANCH -> "project '" + projectId + "' has not been fetched yet";
          case COMMIT -> "commit " + ref.name() + " is not in project '" + projectId + "' (it must be reachable from a branch or tag)";
          default -> "project '" + projectId + "' has no " + ref;
        });
      }
      try (RevWalk walk = new RevWalk(repo)) {
        return walk.parseCommit(id).name();
      }
    } catch (IOException e) {
      throw new RepositoryFileException("cannot resolve " + ref + " in project '" + projectId + "': " + why(e));
    }
  }

  private static Ref peel(Repository repo, Ref ref) {
    try {
      return repo.getRefDatabase().peel(ref);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file selected at a commit: its path, blob and size, read only when wanted. */
  public record SelectedFile(String path, ObjectId blob, long size) {}

  /**
   * The regular files at {@code commit} whose paths {@code select} accepts. A selected path that is
   * a symbolic link or a submodule is an error naming it.
   *
   * @throws RepositoryFileException also when more than {@code maxFiles} match or a file is larger than {@code maxFileBytes}
   */
  public java.util.List<SelectedFile> selectFiles(String projectId, String commit, java.util.function.Predicate<String> select,
      int maxFiles, long maxFileBytes) throws RepositoryFileException {
    Repository repo = repository(projectId);
    java.util.List<SelectedFile> files = new java.util.ArrayList<>();
    try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
      tree.addTree(walk.parseCommit(ObjectId.fromString(commit)).getTree());
      tree.setRecursive(true);
      while (tree.next()) {
        String path = tree.getPathString();
        if (!select.test(path)) {
          continue;
        }
        FileMode mode = tree.getFileMode(0);
        if (mode == FileMode.SYMLINK) {
          throw new RepositoryFileException(path + " is a symbolic link; Tether reads only regular files from Git");
        }
        if (mode == FileMode.GITLINK) {
          throw new RepositoryFileException(path + " is a submodule; Tether does not read submodules");
        }
        if (files.size() == maxFiles) {
          throw new RepositoryFileException("more than " + maxFiles + " files match the globs (the limit per manifest project)");
        }
        long size = repo.getObjectDatabase().open(tree.getObjectId(0)).getSize();
        if (size > maxFileBytes) {
          throw new RepositoryFileException(path + " is " + size + " bytes; the limit per manifest file is " + maxFileBytes);
        }
        files.add(new SelectedFile(path, tree.getObjectId(0), size));
      }
      return files;
    } catch (MissingObjectException e) {
      throw new RepositoryFileException("commit " + commit + " is not in the mirror of project '" + projectId + "'");
    } catch (IOException e) {
      throw new RepositoryFileException("cannot list files at " + commit + " in project '" + projectId + "': " + why(e));
    }
  }

  /** An entry of a commit's tree: a regular file, or a symbolic link or submodule that Tether never reads. */
  public record TreeEntry(String path, ObjectId blob, EntryKind kind) {}

  public enum EntryKind { FILE, SYMLINK, SUBMODULE }

  /**
   * Every entry of the tree at {@code commit} under {@code directory} ({@code .} for the root), with
   * its kind, so that a caller can refuse what it must not follow and read only what it needs.
   *
   * @throws RepositoryFileException when more than {@code maxEntries} are there
   */
  public java.util.List<TreeEntry> listTree(String projectId, String commit, String directory, int maxEntries)
      throws RepositoryFileException {
    Repository repo = repository(projectId);
    String prefix = directory.equals(".") ? "" : directory + "/";
    java.util.List<TreeEntry> entries = new java.util.ArrayList<>();
    try (RevWalk walk = new RevWalk(repo); TreeWalk tree = new TreeWalk(repo)) {
      tree.addTree(walk.parseCommit(ObjectId.fromString(commit)).getTree());
      if (!prefix.isEmpty()) {
        tree.setFilter(org.eclipse.jgit.treewalk.filter.PathFilter.create(directory));
      }
      tree.setRecursive(true);
      while (tree.next()) {
        String path = tree.getPathString();
        if (!path.startsWith(prefix)) {
          continue;
        }
        if (entries.size() == maxEntries) {
          throw new RepositoryFileException("more than " + maxEntries + " files are in " + directory + " (the limit per render)");
        }
        FileMode mode = tree.getFileMode(0);
        EntryKind kind = mode == FileMode.SYMLINK ? EntryKind.SYMLINK : mode == FileMode.GITLINK ? EntryKind.SUBMODULE : EntryKind.FILE;
        entries.add(new TreeEntry(path, tree.getObjectId(0), kind));
      }
      return entries;
    } catch (MissingObjectException e) {
      throw new RepositoryFileException("commit " + commit + " is not in the mirror of project '" + projectId + "'");
    } catch (IOException e) {
      throw new RepositoryFileException("cannot list files at " + commit + " in project '" + projectId + "': " + why(e));
    }
  }

  /** The bytes of file {@code path} (blob {@code blob}), refused unread when larger than {@code maxBytes}. */
  public byte[] read(String projectId, String path, ObjectId blob, long maxBytes) throws RepositoryFileException {
    try {
      ObjectLoader loader = repository(projectId).open(blob);
      if (loader.getSize() > maxBytes) {
        throw new RepositoryFileException(path + " is " + loader.getSize() + " bytes; the limit per file is " + maxBytes);
      }
      return loader.getBytes();
    } catch (IOException e) {
      throw new RepositoryFileException("cannot read " + path + " of project '" + projectId + "': " + why(e));
    }
  }

  /** The bytes of a blob found by {@link #selectFiles}. */
  public byte[] read(String projectId, ObjectId blob) throws RepositoryFileException {
    try {
      return repository(projectId).open(blob).getBytes();
    } catch (IOException e) {
      throw new RepositoryFileException("cannot read blob " + blob.name() + " of project '" + projectId + "': " + why(e));
    }
  }

  /** Who made a commit and what its message says, for the web UI's header. */
  public record CommitSummary(String message, String author, java.time.Instant at) {}

  /** The commit's message and author, or empty when the mirror does not hold the commit. */
  public Optional<CommitSummary> describe(String projectId, String commit) {
    try (RevWalk walk = new RevWalk(repository(projectId))) {
      RevCommit c = walk.parseCommit(ObjectId.fromString(commit));
      return Optional.of(new CommitSummary(c.getFullMessage().strip(), c.getAuthorIdent().getName(),
          c.getAuthorIdent().getWhenAsInstant()));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
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

  /** Some of JGit's failures carry no message (a read interrupted by a cancelled call is one): then their kind. */
  private static String why(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  @Override
  public void close() {
    open.values().forEach(Repository::close);
    open.clear();
  }
}
