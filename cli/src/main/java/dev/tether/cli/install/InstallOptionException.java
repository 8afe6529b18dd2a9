package dev.tether.cli.install;

/** An install option that cannot be used as given; the message says which and what to give instead. */
public final class InstallOptionException extends Exception {
  private static final long serialVersionUID = 1L;

  public InstallOptionException(String message) {
    super(message);
  }
}
