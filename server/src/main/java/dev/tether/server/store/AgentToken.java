package dev.tether.server.store;

import java.time.Instant;
import java.util.Optional;

/** A token of an agent, without its secret (only the digest is stored, and never shown). */
public record AgentToken(String id, String agentName, String description, Instant createdAt,
    Optional<Instant> lastUsedAt, Optional<Instant> revokedAt) {

  public boolean active() {
    return revokedAt.isEmpty();
  }
}
