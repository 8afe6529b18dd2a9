package dev.tether.server.connection;

import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.server.events.EventLog;
import dev.tether.server.store.AgentToken;
import dev.tether.server.store.StoreException;
import dev.tether.server.store.TokenStore;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits an agent's call only with a valid, unrevoked agent token in {@code authorization: Bearer}.
 * The token is looked up by digest and never logged; rejections say why in terms the agent's
 * operator can act on. Connections (the Connect call that opens an agent's session) are rate limited
 * per token, and refused tokens per source address ({@link ConnectLimits}); refusals are logged
 * without a line per call ({@link RefusalLog}).
 */
public final class AgentAuthentication implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AgentAuthentication.class);
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);
  /** Seconds the caller should wait before trying again, on RESOURCE_EXHAUSTED and UNAVAILABLE. */
  public static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
  private static final String CONNECT = AgentConnectionGrpc.getConnectMethod().getFullMethodName();
  // Unknown tokens are cached too; a stranger's stream of made-up tokens must not grow the cache without end.
  private static final int MAX_CACHED = 10_000;
  // When the database cannot answer (pool exhausted, failing over), agents come back after this and their own jitter.
  static final long STORE_RETRY_AFTER_SECONDS = 5;

  private final TokenStore tokens;
  private final Clock clock;
  private final Map<String, Instant> lastUsedWritten = new ConcurrentHashMap<>();
  // Every proxied request opens a tunnel stream: keep tokens a few seconds; revocation empties this.
  private final Map<String, Cached> byDigest = new ConcurrentHashMap<>();
  private static final Duration CACHE_FOR = Duration.ofSeconds(5);
  private final ConnectLimits limits;
  private final RefusalLog refusals;
  private final EventLog events;
  private final ConnectionActivity activity;
  // Lookups under way by digest: an agent's tunnel streams and session arrive together, and share one.
  private final Map<String, CompletableFuture<Optional<AgentToken>>> lookups = new ConcurrentHashMap<>();

  private record Cached(Optional<AgentToken> token, Instant until) {}

  public AgentAuthentication(TokenStore tokens, Clock clock, OpenCalls calls, AgentConnectRates rates, RateLimits rateLimits,
      EventLog events, ConnectionActivity activity) {
    this.tokens = tokens;
    this.clock = clock;
    this.limits = new ConnectLimits(rates, rateLimits);
    this.refusals = new RefusalLog(clock);
    this.events = events;
    this.activity = activity;
    calls.onRevocation(tokenId -> byDigest.clear());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    java.net.SocketAddress address = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String remote = address instanceof java.net.InetSocketAddress inet
        ? inet.getAddress().getHostAddress() + ":" + inet.getPort() : String.valueOf(address);
    String source = ConnectLimits.limitedAddress(address);
    boolean connect = call.getMethodDescriptor().getFullMethodName().equals(CONNECT);
    if (connect) {
      Optional<ConnectLimits.Refusal> refusal = limits.admitAttempt(source);
      if (refusal.isPresent()) {
        return refuse(call, refusal.get(), source, "too many refused tokens", remote);
      }
    }
    AgentIdentity identity;
    try {
      identity = authenticate(headers.get(AUTHORIZATION), remote);
    } catch (Rejected e) {
      limits.chargeRefusal(source);
      refusals.refused(source, e.getMessage(), remote, e.getMessage());
      call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() {};
    } catch (StoreException e) {
      // The store failed or timed out (its pool exhausted by a reconnect storm, a database failing over): the
      // token may be fine, so the agent is asked to come back rather than told its token is wrong.
      refusals.refused(source, "the database did not answer", remote, e.getMessage());
      Metadata trailers = new Metadata();
      trailers.put(RETRY_AFTER, Long.toString(STORE_RETRY_AFTER_SECONDS));
      call.close(Status.UNAVAILABLE.withDescription("the server cannot check the agent token now (" + e.getMessage()
          + "); try again in " + STORE_RETRY_AFTER_SECONDS + " s"), trailers);
      return new ServerCall.Listener<>() {};
    }
    if (connect) {
      Optional<ConnectLimits.Refusal> refusal = limits.admitToken(identity);
      if (refusal.isPresent()) {
        events.warningRepeatable("connection", identity.agentName(), "Refused a connection",
            "Refused a connection from " + remote + ": " + refusal.get().message());
        return refuse(call, refusal.get(), source, "connection rate of token " + identity.tokenId(), remote);
      }
    }
    return Contexts.interceptCall(Context.current().withValue(AgentIdentity.CURRENT, identity), call, headers, next);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, ConnectLimits.Refusal refusal, String source, String reason,
      String remote) {
    refusals.refused(source, reason, remote, refusal.message());
    Metadata trailers = new Metadata();
    trailers.put(RETRY_AFTER, Long.toString(refusal.retryAfterSeconds()));
    call.close(Status.RESOURCE_EXHAUSTED.withDescription(refusal.message()), trailers);
    return new ServerCall.Listener<>() {};
  }

  private AgentIdentity authenticate(String authorization, String remote) throws Rejected {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new Rejected("no agent token: send it as 'authorization: Bearer <token>'");
    }
    SecretToken token;
    try {
      token = SecretToken.parse(SecretToken.Kind.AGENT, authorization.substring(7));
    } catch (MalformedTokenException e) {
      throw new Rejected(e.getMessage());
    }
    Instant now = clock.instant();
    Cached cached = byDigest.get(token.digest());
    Optional<AgentToken> stored;
    if (cached != null && now.isBefore(cached.until())) {
      stored = cached.token();
    } else {
      stored = lookUp(token.digest(), now);
    }
    if (stored.isEmpty()) {
      throw new Rejected("unknown agent token: it was never issued by this server or its agent was deleted; "
          + "create one with `tether admin token create --agent <name>`");
    }
    AgentToken found = stored.get();
    if (found.revokedAt().isPresent()) {
      throw new Rejected("agent token " + found.id() + " of agent '" + found.agentName() + "' was revoked at "
          + found.revokedAt().get() + "; create a new one with `tether admin token create --agent " + found.agentName() + "`");
    }
    markUsed(found.id());
    return new AgentIdentity(found.agentName(), found.id(), remote);
  }

  /** Looks the digest up in the store, or waits for the lookup of it already under way, and caches what it found. */
  private Optional<AgentToken> lookUp(String digest, Instant now) {
    CompletableFuture<Optional<AgentToken>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<AgentToken>> running = lookups.putIfAbsent(digest, mine);
    if (running != null) {
      try {
        return running.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    try {
      Optional<AgentToken> stored = tokens.findByDigest(digest);
      if (byDigest.size() >= MAX_CACHED) {
        byDigest.values().removeIf(c -> !now.isBefore(c.until()));
        if (byDigest.size() >= MAX_CACHED) {
          byDigest.clear();
        }
      }
      byDigest.put(digest, new Cached(stored, now.plus(CACHE_FOR)));
      mine.complete(stored);
      return stored;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      lookups.remove(digest, mine);
    }
  }

  // Last-used time is for people; a write per call would be for nobody.
  private void markUsed(String tokenId) {
    Instant now = clock.instant();
    Instant previous = lastUsedWritten.get(tokenId);
    if (previous == null || now.isAfter(previous.plus(LAST_USED_RESOLUTION))) {
      lastUsedWritten.put(tokenId, now);
      activity.tokenUsed(tokenId, now);
    }
  }

  private static final class Rejected extends Exception {
    Rejected(String message) {
      super(message);
    }
  }
}
