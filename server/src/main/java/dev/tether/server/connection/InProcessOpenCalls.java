package dev.tether.server.connection;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** The open calls of the tokens used at this server, for a server that runs alone. */
public final class InProcessOpenCalls implements OpenCalls {
  private final Map<String, Set<Consumer<String>>> byToken = new ConcurrentHashMap<>();
  private final java.util.List<Consumer<String>> revocationListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  public void onRevocation(Consumer<String> listener) {
    revocationListeners.add(listener);
  }

  @Override
  public AutoCloseable register(String tokenId, Consumer<String> close) {
    byToken.computeIfAbsent(tokenId, k -> ConcurrentHashMap.newKeySet()).add(close);
    return () -> byToken.computeIfPresent(tokenId, (k, set) -> {
      set.remove(close);
      return set.isEmpty() ? null : set;
    });
  }

  /** The tokens that have open calls here now. */
  public java.util.Set<String> tokensWithCalls() {
    return java.util.Set.copyOf(byToken.keySet());
  }

  @Override
  public void closeAll(String tokenId, String reason) {
    revocationListeners.forEach(l -> l.accept(tokenId));
    Set<Consumer<String>> calls = byToken.remove(tokenId);
    if (calls != null) {
      calls.forEach(close -> close.accept(reason));
    }
  }
}
