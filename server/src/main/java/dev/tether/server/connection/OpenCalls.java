package dev.tether.server.connection;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The open calls of every token (agent tokens' streams, access tokens' proxied requests), so that
 * revoking a token ends them at once; and whoever caches tokens hears of the revocation.
 */
public final class OpenCalls {
  private final Map<String, Set<Consumer<String>>> byToken = new ConcurrentHashMap<>();
  private final java.util.List<Consumer<String>> revocationListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Called with the token id whenever a token is revoked. */
  public void onRevocation(Consumer<String> listener) {
    revocationListeners.add(listener);
  }

  /**
   * Remembers an open call.
   *
   * @param close ends the call with the given reason
   * @return closing it forgets the call
   */
  public AutoCloseable register(String tokenId, Consumer<String> close) {
    byToken.computeIfAbsent(tokenId, k -> ConcurrentHashMap.newKeySet()).add(close);
    return () -> byToken.computeIfPresent(tokenId, (k, set) -> {
      set.remove(close);
      return set.isEmpty() ? null : set;
    });
  }

  /** Ends every open call made with the token, which was revoked. */
  public void closeAll(String tokenId, String reason) {
    revocationListeners.forEach(l -> l.accept(tokenId));
    Set<Consumer<String>> calls = byToken.remove(tokenId);
    if (calls != null) {
      calls.forEach(close -> close.accept(reason));
    }
  }
}
