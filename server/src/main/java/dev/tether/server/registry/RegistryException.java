package dev.tether.server.registry;

/** A registry request that cannot be done; {@link #kind()} says which HTTP answer fits. */
public final class RegistryException extends RuntimeException {
  public enum Kind { INVALID, NOT_FOUND, CONFLICT }

  private final Kind kind;

  public RegistryException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
