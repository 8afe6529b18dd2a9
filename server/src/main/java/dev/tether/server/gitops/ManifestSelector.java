package dev.tether.server.gitops;

import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestGlob;
import dev.tether.common.config.ManifestPath;
import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.RepositoryFileException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a manifest project's ref and reads the files its globs select (less their exclusions), from the project's
 * mirror, within caps on file count and size. Selections are cached by project, commit and globs,
 * so many agents of one project cost one read.
 */
public final class ManifestSelector {
  /** Caps per manifest project and sync; a repository is hostile input. */
  public record Limits(int maxFiles, long maxFileBytes, long maxTotalBytes) {
    public static final Limits DEFAULT = new Limits(20_000, 5L * 1024 * 1024, 100L * 1024 * 1024);
  }

  private record Key(String projectId, String commit, List<ManifestPath> paths) {}

  /** A paths[] item, compiled. */
  private record CompiledPath(ManifestGlob glob, List<ManifestGlob> exclude) {
    boolean selects(String path) {
      return glob.matches(path) && exclude.stream().noneMatch(e -> e.matches(path));
    }
  }

  private final ProjectMirrors mirrors;
  private final Limits limits;
  private final Map<Key, ManifestSelection> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, ManifestSelection> eldest) {
      return size() > 16;
    }
  };

  public ManifestSelector(ProjectMirrors mirrors, Limits limits) {
    this.mirrors = mirrors;
    this.limits = limits;
  }

  /** The commit the ref names now. */
  /** Whether this server's mirror of the project was fetched (server replicas share fetch records, not mirrors). */
  public boolean mirrored(String projectId) {
    return mirrors.holds(projectId);
  }

  public String resolve(String projectId, GitRef ref) throws RepositoryFileException {
    return mirrors.resolve(projectId, ref);
  }

  public ManifestSelection select(String projectId, String commit, List<ManifestPath> paths) throws RepositoryFileException {
    Key key = new Key(projectId, commit, List.copyOf(paths));
    synchronized (cache) {
      ManifestSelection cached = cache.get(key);
      if (cached != null) {
        return cached;
      }
    }
    List<CompiledPath> compiled = new ArrayList<>();
    for (ManifestPath path : paths) {
      try {
        compiled.add(new CompiledPath(ManifestGlob.compile(path.glob()), path.exclude().stream().map(ManifestGlob::compile).toList()));
      } catch (IllegalArgumentException e) {
        throw new RepositoryFileException(e.getMessage());
      }
    }
    List<ProjectMirrors.SelectedFile> selected = mirrors.selectFiles(projectId, commit,
        path -> !ManifestGlob.inHiddenDirectory(path) && compiled.stream().anyMatch(c -> c.selects(path)),
        limits.maxFiles(), limits.maxFileBytes());
    long total = selected.stream().mapToLong(ProjectMirrors.SelectedFile::size).sum();
    if (total > limits.maxTotalBytes()) {
      throw new RepositoryFileException("the selected files are " + total + " bytes together; the limit per manifest project is "
          + limits.maxTotalBytes());
    }
    selected.sort(Comparator.comparing(ProjectMirrors.SelectedFile::path));
    MessageDigest digest = sha256();
    List<ManifestSelection.File> files = new ArrayList<>(selected.size());
    for (ProjectMirrors.SelectedFile file : selected) {
      digest.update((file.path() + "\0" + file.blob().name() + "\n").getBytes(StandardCharsets.UTF_8));
      files.add(new ManifestSelection.File(file.path(), mirrors.read(projectId, file.blob())));
    }
    ManifestSelection selection = new ManifestSelection(projectId, commit, "sha256:" + HexFormat.of().formatHex(digest.digest()),
        List.copyOf(files));
    synchronized (cache) {
      cache.put(key, selection);
    }
    return selection;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
