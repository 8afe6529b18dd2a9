package dev.tether.server.store;

/** A record with the same id or name exists already. */
public final class AlreadyExistsException extends RuntimeException {
  public AlreadyExistsException(String message) {
    super(message);
  }
}
