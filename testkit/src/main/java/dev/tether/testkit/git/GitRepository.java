package dev.tether.testkit.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * A bare repository made with the real git CLI, plus the work tree that commits and pushes to it,
 * as a developer would. Servers ({@link GitDaemon}, {@link GitHttpServer}) serve the folder that
 * holds the bare repositories.
 */
public final class GitRepository {
  private final String name;
  private final Path bare;
  private final Path work;

  private GitRepository(String name, Path bare, Path work) {
    this.name = name;
    this.bare = bare;
    this.work = work;
  }

  /**
   * Makes {@code <root>/<name>.git} (bare) and {@code <root>/work/<name>} (its work tree) with an
   * empty {@code main} branch not yet pushed.
   */
  public static GitRepository create(Path root, String name) {
    try {
      Path bare = root.resolve(name + ".git");
      Path work = root.resolve("work").resolve(name);
      Files.createDirectories(bare);
      Files.createDirectories(work);
      GitCli.git(bare, "init", "--quiet", "--bare", "--initial-branch=main");
      GitCli.git(work, "init", "--quiet", "--initial-branch=main");
      GitCli.git(work, "remote", "add", "origin", bare.toString());
      return new GitRepository(name, bare, work);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create git repository " + name + " under " + root, e);
    }
  }

  /** A repository whose first commit on {@code main} holds a copy of {@code folder}. */
  public static GitRepository fromFolder(Path root, String name, Path folder) {
    GitRepository repo = create(root, name);
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path target = repo.work.resolve(folder.relativize(file).toString());
        Files.createDirectories(target.getParent());
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + folder + " into repository " + name, e);
    }
    repo.commitAndPush("Initial content from " + folder.getFileName());
    return repo;
  }

  public String name() {
    return name;
  }

  /** The bare repository: clone it by path or {@code file://}. */
  public Path bareDir() {
    return bare;
  }

  public Path workDir() {
    return work;
  }

  /** Writes a file in the work tree (not yet committed). */
  public GitRepository write(String path, String content) {
    try {
      Path file = work.resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path + " in repository " + name, e);
    }
  }

  /** Removes a file from the work tree (not yet committed). */
  public GitRepository delete(String path) {
    GitCli.git(work, "rm", "--quiet", "-r", "--", path);
    return this;
  }

  /** Commits everything in the work tree and pushes it; returns the new commit id. */
  public String commitAndPush(String message) {
    GitCli.git(work, "add", "--all");
    GitCli.git(work, "commit", "--quiet", "--allow-empty", "-m", message);
    GitCli.git(work, "push", "--quiet", "--set-upstream", "origin", "HEAD");
    return head();
  }

  /** Tags the current commit and pushes the tag. */
  public GitRepository tag(String tag) {
    GitCli.git(work, "tag", tag);
    GitCli.git(work, "push", "--quiet", "origin", "refs/tags/" + tag);
    return this;
  }

  /** Creates or moves {@code branch} to the current commit and pushes it. */
  public GitRepository pushBranch(String branch) {
    GitCli.git(work, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
    return this;
  }

  /** The commit id the work tree's HEAD points at. */
  public String head() {
    return GitCli.git(work, "rev-parse", "HEAD").stdout().trim();
  }
}
