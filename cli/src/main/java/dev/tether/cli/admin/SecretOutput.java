package dev.tether.cli.admin;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import picocli.CommandLine.Option;

/** Where a new token goes: a new 0600 file with {@code --token-out}, else the terminal, once. */
final class SecretOutput {
  @Option(names = "--token-out", paramLabel = "FILE",
      description = "Write the new token to this file (created with mode 0600; must not exist) instead of printing it.")
  Path tokenOut;

  /** Fails before anything is created when the token could not be written afterwards. */
  void checkWritable() {
    if (tokenOut != null && Files.exists(tokenOut)) {
      throw new AdminClient.AdminException(tokenOut + " exists already; choose a new file for the token");
    }
  }

  /** @return a sentence saying where the token went */
  String deliver(String secret, PrintWriter out) {
    if (tokenOut == null) {
      out.println(secret);
      return "The token above is shown only now; store it safely (for example in a Kubernetes Secret).";
    }
    try {
      FileAttribute<?>[] owner = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
          : new FileAttribute<?>[0];
      Files.writeString(Files.createFile(tokenOut, owner), secret + "\n");
    } catch (FileAlreadyExistsException e) {
      throw new AdminClient.AdminException(tokenOut + " exists; the token was created but not written. Revoke it "
          + "(`tether admin token list`) and try again with a new file");
    } catch (IOException e) {
      throw new AdminClient.AdminException("cannot write " + tokenOut + ": " + e.getMessage());
    }
    return "The token was written to " + tokenOut + " (mode 0600).";
  }
}
