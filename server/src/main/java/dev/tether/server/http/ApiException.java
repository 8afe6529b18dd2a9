package dev.tether.server.http;

/** An HTTP API error with the status to answer and a message a person can act on. */
final class ApiException extends RuntimeException {
  private final int status;

  ApiException(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
