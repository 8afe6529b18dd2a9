package dev.tether.server.secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/** Files only their owner may read: created 0600 from the start, never widened. */
public final class PrivateFiles {
  private PrivateFiles() {}

  /** Creates {@code file} with owner-only permissions; fails if it exists. */
  public static void writeNew(Path file, String content) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    FileAttribute<?>[] attributes = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    Files.createFile(file, attributes);
    Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** Replaces {@code file}'s content, keeping it owner-only. */
  public static void overwrite(Path file, String content) throws IOException {
    if (!Files.exists(file)) {
      writeNew(file, content);
      return;
    }
    Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
