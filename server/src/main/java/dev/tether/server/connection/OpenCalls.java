package dev.tether.server.connection;

import java.util.function.Consumer;

/**
 * The open calls of every token (agent tokens' streams, access tokens' proxied requests), so that
 * revoking a token ends them at once; and whoever caches tokens hears of the revocation.
 *
 * <p>Shared state: with server replicas a token is revoked on one replica while its calls are open
 * on others. A shared implementation must tell every replica's revocation listeners and end the
 * token's calls on every replica within a second of {@link #closeAll}, and keep telling a replica
 * that was unreachable meanwhile when it comes back (or that replica must drop its token caches):
 * {@link SharedOpenCalls}.
 */
public interface OpenCalls {
  /** What revocation listeners are told when revocations may have been missed: every cached token may be revoked. */
  String ANY_TOKEN = "*";

  /**
   * Called with the token id whenever a token is revoked, here or (shared) on another server; or with
   * {@link #ANY_TOKEN} when this replica may have missed revocations, so caches drop every token.
   */
  void onRevocation(Consumer<String> listener);

  /**
   * Remembers an open call.
   *
   * @param close ends the call with the given reason
   * @return closing it forgets the call
   */
  AutoCloseable register(String tokenId, Consumer<String> close);

  /** Ends every open call made with the token, which was revoked, and tells the revocation listeners. */
  void closeAll(String tokenId, String reason);
}
