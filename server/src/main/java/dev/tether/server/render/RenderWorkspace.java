package dev.tether.server.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A private temporary folder (mode 0700) that holds the files one render reads, and nothing else:
 * {@code project/} for the project's files, {@code home/} and an empty {@code bin/} for the
 * renderer's environment. Removed, with everything in it, on close.
 */
final class RenderWorkspace implements AutoCloseable {
  private final Path root;

  private RenderWorkspace(Path root) {
    this.root = root;
  }

  static RenderWorkspace create(Path parent) throws RenderException {
    try {
      Files.createDirectories(parent);
      Path root = Files.createTempDirectory(parent, "render-", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      for (String dir : new String[] {"project", "home", "bin"}) {
        Files.createDirectory(root.resolve(dir));
      }
      return new RenderWorkspace(root);
    } catch (IOException e) {
      throw new RenderException("cannot create a render folder in " + parent + ": " + e.getMessage(), true);
    }
  }

  /** Removes render folders a stopped server left behind (a render interrupted by a crash). */
  static void removeLeftovers(Path parent) {
    if (!Files.isDirectory(parent)) {
      return;
    }
    try (var leftovers = Files.newDirectoryStream(parent, "render-*")) {
      for (Path dir : leftovers) {
        new RenderWorkspace(dir).close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear old render folders in " + parent, e);
    }
  }

  Path root() {
    return root;
  }

  Path project() {
    return root.resolve("project");
  }

  Path home() {
    return root.resolve("home");
  }

  Path bin() {
    return root.resolve("bin");
  }

  /** Writes one project file as a regular file; a path that would land outside the folder is refused. */
  void write(String path, byte[] content) throws RenderException {
    Path target = project().resolve(path).normalize();
    if (path.startsWith("/") || !target.startsWith(project())) {
      throw new RenderException(path + " would be written outside the render folder");
    }
    try {
      Files.createDirectories(target.getParent());
      Files.write(target, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new RenderException("cannot write " + path + " into the render folder: " + e.getMessage(), true);
    }
  }

  /** The text of a message with the folder's own paths turned back into the project's. */
  String projectPaths(String text) {
    return text.replace(project().toString() + "/", "").replace(project().toString(), ".").replace(root.toString(), "");
  }

  @Override
  public void close() {
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the render folder " + root, e);
    }
  }
}
