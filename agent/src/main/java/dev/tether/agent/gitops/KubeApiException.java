package dev.tether.agent.gitops;

/** The API server refused a request; the message is its own Status message, without the values of a Secret it was about. */
public final class KubeApiException extends RuntimeException {
  private final int code;
  private final String reason;

  public KubeApiException(int code, String reason, String message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  public int code() {
    return code;
  }

  /** The Status reason, e.g. Conflict, NotFound, Invalid, Forbidden. */
  public String reason() {
    return reason;
  }
}
