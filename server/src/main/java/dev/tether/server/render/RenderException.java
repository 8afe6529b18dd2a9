package dev.tether.server.render;

/** A source that cannot be rendered; the message names the file and field, or what the renderer said. */
public final class RenderException extends Exception {
  private final boolean retryable;

  public RenderException(String message) {
    this(message, false);
  }

  /**
   * @param retryable whether the same source at the same commit may render later: the server's own
   *     trouble (no kustomize program, a time limit, a full disk), not the source's
   */
  public RenderException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
