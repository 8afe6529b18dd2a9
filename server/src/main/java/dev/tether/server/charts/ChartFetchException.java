package dev.tether.server.charts;

/**
 * A chart that could not be resolved or fetched; the message names the repository, the chart and
 * what to do, and never holds a credential.
 */
public final class ChartFetchException extends Exception {
  private final boolean retryable;

  /**
   * @param retryable whether the same request may succeed later unchanged (the repository down or
   *     slow), rather than a fault of the source or the repository's content
   */
  public ChartFetchException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
