package dev.tether.server.git;

/** A file in a repository that Tether refuses to read (a symlink, a directory, too large) or cannot read. */
public final class RepositoryFileException extends Exception {
  public RepositoryFileException(String message) {
    super(message);
  }
}
