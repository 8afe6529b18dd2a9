package dev.tether.server.git;

/** A project could not be fetched; the message names the project, the URL (without secrets) and the cause. */
public final class GitFetchException extends Exception {
  public GitFetchException(String message, Throwable cause) {
    super(message, cause);
  }
}
