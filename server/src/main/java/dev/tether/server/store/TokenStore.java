package dev.tether.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface TokenStore {
  void add(AgentToken token, String digest);

  /** The token with this digest, revoked or not. */
  Optional<AgentToken> findByDigest(String digest);

  Optional<AgentToken> find(String id);

  List<AgentToken> list(Optional<String> agentName);

  /** @return false if there was no such token or it was already revoked */
  boolean revoke(String id, Instant at);

  // When a token was last used is written with other connection activity, in batches: ConnectionActivityTable.
}
