package dev.tether.server.connection;

import dev.tether.server.store.ChangeNotices;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open calls of server replicas sharing one PostgreSQL database. Revoking a token on any replica
 * sends a notice with the token's id; every replica then ends the token's calls it holds and tells
 * its revocation listeners (token caches). A replica that missed notices checks every token it holds
 * calls for against the store, ends those revoked meanwhile, and has its listeners drop their caches.
 */
public final class SharedOpenCalls implements OpenCalls, ChangeNotices.Subscriber {
  private static final Logger log = LoggerFactory.getLogger(SharedOpenCalls.class);
  static final String TOPIC = "revocation";
  private static final int MAX_REASON = 500;

  private final InProcessOpenCalls local = new InProcessOpenCalls();
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final ChangeNotices notices;
  private final Predicate<String> revoked;

  /** @param revoked whether the store says a token (by id, agent or access token) is revoked or gone */
  public SharedOpenCalls(ChangeNotices notices, Predicate<String> revoked) {
    this.notices = notices;
    this.revoked = revoked;
    local.onRevocation(id -> listeners.forEach(l -> l.accept(id)));
    notices.subscribe(TOPIC, this);
  }

  @Override
  public void onRevocation(Consumer<String> listener) {
    listeners.add(listener);
  }

  @Override
  public AutoCloseable register(String tokenId, Consumer<String> close) {
    return local.register(tokenId, close);
  }

  @Override
  public void closeAll(String tokenId, String reason) {
    local.closeAll(tokenId, reason);
    String shortReason = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
    notices.publish(TOPIC, tokenId + " " + shortReason);
  }

  @Override
  public void notice(ChangeNotices.Notice notice) {
    if (notice.fromHere()) {
      return; // ended here when revoked
    }
    String[] parts = notice.data().split(" ", 2);
    local.closeAll(parts[0], parts.length > 1 ? parts[1] : "token " + parts[0] + " was revoked");
  }

  @Override
  public void missed() {
    listeners.forEach(l -> l.accept(OpenCalls.ANY_TOKEN));
    for (String tokenId : local.tokensWithCalls()) {
      if (revoked.test(tokenId)) {
        log.info("Token {} was revoked while this replica heard no notices; ending its calls here", tokenId);
        local.closeAll(tokenId, "token " + tokenId + " was revoked");
      }
    }
  }
}
