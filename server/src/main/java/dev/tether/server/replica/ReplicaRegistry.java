package dev.tether.server.replica;

import dev.tether.server.store.ReplicaTable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server replicas on one database, each under a lease: this replica registers when it starts,
 * renews its lease every {@link #RENEW_EVERY}, and removes its row when it stops. A replica that dies
 * stops renewing; {@link #LEASE} later the others no longer use its rows, and a minute later they
 * delete them. The list of live replicas is read at most once per {@link #CACHE_FOR}.
 */
public final class ReplicaRegistry implements AutoCloseable {
  public static final Duration RENEW_EVERY = Duration.ofSeconds(2);
  public static final Duration LEASE = Duration.ofSeconds(10);
  static final Duration CACHE_FOR = Duration.ofSeconds(1);
  // A replica asked about one it does not know reads the list again, but not more often than this.
  private static final Duration RELOAD_ON_MISS = Duration.ofMillis(200);
  // Rows of dead replicas are deleted this long after their lease lapsed; until then they are only skipped.
  private static final Duration KEEP_LAPSED = Duration.ofMinutes(1);
  private static final Logger log = LoggerFactory.getLogger(ReplicaRegistry.class);

  /** A live replica, as its row says: where to reach it, the certificate to pin, the hash of its secret. */
  public record Replica(String id, String address, String certificatePem, String secretHash, Instant leaseUntil) {}

  private final ReplicaId self;
  private final ReplicaCredentials credentials;
  private final ReplicaTable table;
  private final Clock clock;
  private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "replica-lease");
    t.setDaemon(true);
    return t;
  });
  private final ReplicaCalls calls;
  private volatile String address;
  private volatile Runnable reRegistered = () -> {};
  private volatile boolean renewalFailing;
  // Guarded by this.
  private List<Replica> cached = List.of();
  // Never read yet: far enough back that the first look reads (nanoTime differences must not overflow).
  private long cachedAt = System.nanoTime() - Duration.ofHours(1).toNanos();

  public ReplicaRegistry(ReplicaId self, ReplicaCredentials credentials, ReplicaTable table, Clock clock) {
    this.self = self;
    this.credentials = credentials;
    this.table = table;
    this.clock = clock;
    this.calls = new ReplicaCalls(this);
  }

  /** Calls to the other replicas, and the ones this replica serves. */
  public ReplicaCalls calls() {
    return calls;
  }

  public ReplicaId self() {
    return self;
  }

  public ReplicaCredentials credentials() {
    return credentials;
  }

  /**
   * Registers this replica at {@code address} and keeps its lease.
   *
   * @param whenReRegistered run after this replica had to register again because its row was gone
   *     (it was taken for dead after a long pause): what it published under the old row must be written again
   */
  public void start(String address, Runnable whenReRegistered) {
    this.address = address;
    this.reRegistered = whenReRegistered;
    insert();
    log.info("Server replica {} registered; other replicas reach it at {} (TLS, certificate published in the database)",
        self, address);
    renewals.scheduleWithFixedDelay(this::renew, RENEW_EVERY.toMillis(), RENEW_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void insert() {
    Instant now = clock.instant();
    table.insert(new ReplicaTable.Row(self.value(), address, credentials.certificatePem(), credentials.secretHash(), now,
        now.plus(LEASE)));
  }

  private void renew() {
    try {
      Instant now = clock.instant();
      if (!table.renew(self.value(), now.plus(LEASE))) {
        log.warn("Server replica {}: its row was gone (its lease lapsed, so the others took it for dead); registering again", self);
        insert();
        reRegistered.run();
      }
      int removed = table.removeLapsed(now.minus(KEEP_LAPSED));
      if (removed > 0) {
        log.info("Removed {} server replica(s) whose lease lapsed more than {} s ago, and their agent connections", removed,
            KEEP_LAPSED.toSeconds());
      }
      if (renewalFailing) {
        log.info("Server replica {} renews its lease again", self);
        renewalFailing = false;
      }
    } catch (RuntimeException e) {
      if (!renewalFailing) {
        log.warn("Server replica {} cannot renew its lease: {}. If this lasts {} s the other replicas stop routing requests here",
            self, e.getMessage(), LEASE.toSeconds());
        renewalFailing = true;
      }
    }
  }

  /** The live replicas, this one included, at most {@link #CACHE_FOR} old; the last list read if the database fails. */
  public synchronized List<Replica> live() {
    return live(CACHE_FOR);
  }

  // Guarded by this.
  private List<Replica> live(Duration maxAge) {
    if (System.nanoTime() - cachedAt < maxAge.toNanos()) {
      return cached;
    }
    try {
      Instant now = clock.instant();
      cached = table.live(now).stream()
          .map(r -> new Replica(r.id(), r.address(), r.certificatePem(), r.secretHash(), r.leaseUntil())).toList();
      cachedAt = System.nanoTime();
    } catch (RuntimeException e) {
      log.warn("Cannot read the live server replicas: {}; using the list read before", e.getMessage());
    }
    return cached;
  }

  /** The live replica {@code id}; a replica that just started may be missing from the cached list, so a miss reads again. */
  public synchronized Optional<Replica> live(String id) {
    Optional<Replica> found = live(CACHE_FOR).stream().filter(r -> r.id().equals(id)).findFirst();
    return found.isPresent() ? found : live(RELOAD_ON_MISS).stream().filter(r -> r.id().equals(id)).findFirst();
  }

  /** Whether {@code secret} is the secret of the live replica {@code callerId}, compared in constant time. */
  public boolean verifies(String callerId, String secret) {
    Optional<Replica> caller = live(callerId);
    if (caller.isEmpty() || caller.get().id().equals(self.value())) {
      return false;
    }
    return MessageDigest.isEqual(caller.get().secretHash().getBytes(StandardCharsets.US_ASCII),
        ReplicaCredentials.hash(secret).getBytes(StandardCharsets.US_ASCII));
  }

  /** Stops renewing and removes this replica's row and its agent connections: the others stop routing here at once. */
  @Override
  public void close() {
    renewals.shutdownNow();
    if (address == null) {
      return;
    }
    try {
      table.remove(self.value());
      log.info("Server replica {} deregistered", self);
    } catch (RuntimeException e) {
      log.warn("Server replica {} could not remove its row ({}); it lapses with its lease within {} s", self, e.getMessage(),
          LEASE.toSeconds());
    }
  }
}
