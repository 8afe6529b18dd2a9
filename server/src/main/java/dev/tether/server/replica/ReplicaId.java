package dev.tether.server.replica;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This server process among the replicas on one database: random at every start, so a replica that
 * restarts is a new one and the rows of its previous life lapse with their lease.
 */
public record ReplicaId(String value) {
  private static final SecureRandom RANDOM = new SecureRandom();

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
