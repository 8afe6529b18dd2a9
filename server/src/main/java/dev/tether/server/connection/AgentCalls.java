package dev.tether.server.connection;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The open streams of every agent token, so revoking a token ends its connections at once. */
public final class AgentCalls {
  private final Map<String, Set<Consumer<String>>> byToken = new ConcurrentHashMap<>();

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

  /** Ends every open call made with the token. */
  public void closeAll(String tokenId, String reason) {
    Set<Consumer<String>> calls = byToken.remove(tokenId);
    if (calls != null) {
      calls.forEach(close -> close.accept(reason));
    }
  }
}
