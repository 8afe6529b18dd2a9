package dev.tether.server;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Which server replica this is, among the replicas that share one PostgreSQL database: made afresh
 * at every start, so that a restarted replica is a new one and nothing it held before (claims,
 * connections) is mistaken for its own.
 */
public record ReplicaId(String value) {
  private static final SecureRandom RANDOM = new SecureRandom();

  public ReplicaId {
    if (!value.matches("[a-z0-9-]{1,63}")) {
      throw new IllegalArgumentException("a replica id is up to 63 lowercase letters, digits and dashes, not '" + value + "'");
    }
  }

  public static ReplicaId random() {
    byte[] bytes = new byte[6];
    RANDOM.nextBytes(bytes);
    return new ReplicaId("r-" + HexFormat.of().formatHex(bytes));
  }

  @Override
  public String toString() {
    return value;
  }
}
