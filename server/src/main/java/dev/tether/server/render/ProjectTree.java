package dev.tether.server.render;

import dev.tether.server.git.ProjectMirrors;
import dev.tether.server.git.RepositoryFileException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A project's files at one commit, as listed from the object database: paths, content ids and
 * kinds, read only when a renderer asks. No checkout exists, so nothing here follows a link.
 */
public final class ProjectTree {
  public enum Kind { FILE, SYMLINK, SUBMODULE }

  /** @param contentId the Git blob id: equal ids mean equal content */
  public record Entry(String path, String contentId, Kind kind) {}

  /** Reads an entry's bytes, refusing it unread when it is larger than {@code maxBytes}. */
  public interface Reader {
    byte[] read(Entry entry, long maxBytes) throws RenderException;
  }

  private final String projectId;
  private final String commit;
  private final TreeMap<String, Entry> entries = new TreeMap<>();
  private final Reader reader;

  public ProjectTree(String projectId, String commit, List<Entry> entries, Reader reader) {
    this.projectId = projectId;
    this.commit = commit;
    entries.forEach(e -> this.entries.put(e.path(), e));
    this.reader = reader;
  }

  /** The tree of a mirrored project at a commit, within a cap on the number of entries. */
  public static ProjectTree of(ProjectMirrors mirrors, String projectId, String commit, int maxEntries) throws RenderException {
    List<ProjectMirrors.TreeEntry> listed;
    try {
      listed = mirrors.listTree(projectId, commit, ".", maxEntries);
    } catch (RepositoryFileException e) {
      throw new RenderException(e.getMessage());
    }
    Map<String, org.eclipse.jgit.lib.ObjectId> blobs = new java.util.HashMap<>();
    List<Entry> entries = new ArrayList<>(listed.size());
    for (ProjectMirrors.TreeEntry e : listed) {
      blobs.put(e.path(), e.blob());
      entries.add(new Entry(e.path(), e.blob().name(), Kind.valueOf(e.kind().name())));
    }
    return new ProjectTree(projectId, commit, entries, (entry, maxBytes) -> {
      try {
        return mirrors.read(projectId, entry.path(), blobs.get(entry.path()), maxBytes);
      } catch (RepositoryFileException e) {
        throw new RenderException(e.getMessage());
      }
    });
  }

  /** A tree held in memory, for tests: regular files with their content, and symbolic links. */
  public static ProjectTree inMemory(String projectId, String commit, Map<String, String> files, Set<String> symlinks) {
    List<Entry> entries = new ArrayList<>();
    files.forEach((path, content) -> entries.add(new Entry(path, sha256(content), Kind.FILE)));
    symlinks.forEach(path -> entries.add(new Entry(path, sha256("link:" + path), Kind.SYMLINK)));
    return new ProjectTree(projectId, commit, entries, (entry, maxBytes) -> {
      byte[] bytes = files.get(entry.path()).getBytes(StandardCharsets.UTF_8);
      if (bytes.length > maxBytes) {
        throw new RenderException(entry.path() + " is " + bytes.length + " bytes; the limit per file is " + maxBytes);
      }
      return bytes;
    });
  }

  public String projectId() {
    return projectId;
  }

  public String commit() {
    return commit;
  }

  public Optional<Entry> entry(String path) {
    return Optional.ofNullable(entries.get(path));
  }

  /** Whether {@code path} is a directory of the tree ({@code .} is the root). */
  public boolean isDirectory(String path) {
    if (path.equals(".")) {
      return true;
    }
    String prefix = path + "/";
    String next = entries.ceilingKey(prefix);
    return next != null && next.startsWith(prefix);
  }

  /** Every entry under a directory, in path order ({@code .} is the root). */
  public List<Entry> under(String directory) {
    if (directory.equals(".")) {
      return List.copyOf(entries.values());
    }
    String prefix = directory + "/";
    return List.copyOf(entries.subMap(prefix, prefix + Character.MAX_VALUE).values());
  }

  public byte[] read(Entry entry, long maxBytes) throws RenderException {
    return reader.read(entry, maxBytes);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
