package dev.tether.server.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface AccessTokenStore {
  void add(AccessToken token, String digest);

  Optional<AccessToken> findByDigest(String digest);

  Optional<AccessToken> find(String id);

  List<AccessToken> list();

  /** @return false if there was no such token or it was already revoked */
  boolean revoke(String id, Instant at);

  void markUsed(String id, Instant at);
}
