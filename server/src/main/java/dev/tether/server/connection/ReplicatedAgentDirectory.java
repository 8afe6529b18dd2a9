package dev.tether.server.connection;

import dev.tether.server.connection.AgentConnections.Connection;
import dev.tether.server.replica.ReplicaId;
import dev.tether.server.store.AgentConnectionTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents connected to any of the server replicas on one database: this replica's own connections
 * (kept by {@link AgentConnections}, which also decides their GitOps role) plus those the other live
 * replicas published in {@code agent_connections}, read at most once per {@link #CACHE_FOR}.
 *
 * <p>This replica's changes are written in batches every {@link #WRITE_EVERY}, not one statement per
 * connect: after a replica dies, thousands of agents reconnect to the others within seconds, and a
 * synchronous write on each connect would hold every one of them up on the database. Nothing here
 * waits for a write; the other replicas only see a connection that much later.
 *
 * <p>The GitOps role stays with each replica's own connections: an agent's GitOps stream comes on the
 * same connection as its session, so the replica that holds the session decides. Two processes of
 * one agent on two replicas without a Lease could both apply; with the agent's Lease only its holder
 * contends, wherever it is connected.
 */
public final class ReplicatedAgentDirectory implements AgentDirectory, AutoCloseable {
  static final Duration CACHE_FOR = Duration.ofSeconds(1);
  static final Duration WRITE_EVERY = Duration.ofMillis(250);
  private static final Logger log = LoggerFactory.getLogger(ReplicatedAgentDirectory.class);

  private final AgentConnections local;
  private final AgentConnectionTable table;
  private final ReplicaId self;
  private final Clock clock;
  private final BatchWriter writer;
  // Guarded by pending: changes not written yet, by connection id; an empty value is a removal.
  private final Map<String, Optional<AgentConnectionTable.Row>> pending = new LinkedHashMap<>();
  private volatile boolean writeFailing;
  // Guarded by this.
  private List<Connection> remote = List.of();
  private Set<String> remoteApplying = Set.of();
  // Never read yet: far enough back that the first look reads (nanoTime differences must not overflow).
  private long remoteReadAt = System.nanoTime() - Duration.ofHours(1).toNanos();

  public ReplicatedAgentDirectory(AgentConnections local, AgentConnectionTable table, ReplicaId self, Clock clock) {
    this.local = local;
    this.table = table;
    this.self = self;
    this.clock = clock;
    local.reportChangesTo(new AgentConnections.Changes() {
      @Override public void admitted(Connection connection) { queue(connection.id(), Optional.of(row(connection))); }
      @Override public void changed(Connection connection) { queue(connection.id(), Optional.of(row(connection))); }
      @Override public void removed(Connection connection) { queue(connection.id(), Optional.empty()); }
    });
    writer = new BatchWriter("agent-connections-writer", WRITE_EVERY, this::write);
  }

  private void queue(String id, Optional<AgentConnectionTable.Row> row) {
    synchronized (pending) {
      pending.remove(id); // keeps the latest change last
      pending.put(id, row);
    }
  }

  /** Writes every local connection again, as after this replica registered anew (its rows were deleted with its old row). */
  public void republish() {
    synchronized (pending) {
      local.all().forEach(c -> pending.put(c.id(), Optional.of(row(c))));
    }
  }

  private void write() {
    Map<String, Optional<AgentConnectionTable.Row>> batch;
    synchronized (pending) {
      if (pending.isEmpty()) {
        return;
      }
      batch = new LinkedHashMap<>(pending);
      pending.clear();
    }
    List<AgentConnectionTable.Row> written = batch.values().stream().flatMap(Optional::stream).toList();
    List<String> removed = batch.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    try {
      table.write(written, removed);
      if (writeFailing) {
        log.info("Agent connections are written to the database again");
        writeFailing = false;
      }
    } catch (RuntimeException e) {
      synchronized (pending) {
        // Put back what failed, unless a newer change of the same connection came meanwhile.
        batch.forEach(pending::putIfAbsent);
      }
      if (!writeFailing) {
        log.warn("Cannot write agent connections to the database ({}); other replicas do not see this replica's newest "
            + "connections until it works again", e.getMessage());
        writeFailing = true;
      }
    }
  }

  private AgentConnectionTable.Row row(Connection c) {
    return new AgentConnectionTable.Row(c.id(), c.agentName(), self.value(), c.tokenId(), c.since(), c.version(), c.podName(),
        c.podNamespace(), c.clusterVersion(), c.remoteAddress(), c.usesLease(), c.holdsLease(), local.applies(c.agentName(), c.id()));
  }

  /**
   * The other live replicas' connections, at most {@link #CACHE_FOR} old; the last list read if the
   * database fails. Their heartbeat time is when they were read: a replica removes a closed connection
   * within {@link #WRITE_EVERY}, and its lease says it is alive.
   */
  private synchronized List<Connection> remote() {
    if (System.nanoTime() - remoteReadAt < CACHE_FOR.toNanos()) {
      return remote;
    }
    try {
      Instant now = clock.instant();
      List<AgentConnectionTable.Row> rows = table.ofOtherLiveReplicas(self.value(), now);
      remote = rows.stream().map(r -> new Connection(r.id(), r.agentName(), r.tokenId(), r.connectedAt(), r.version(), r.podName(),
          r.podNamespace(), r.clusterVersion(), r.remoteAddress(), now, r.usesLease(), r.holdsLease(), r.replicaId())).toList();
      remoteApplying = rows.stream().filter(AgentConnectionTable.Row::appliesGitops).map(AgentConnectionTable.Row::id)
          .collect(Collectors.toUnmodifiableSet());
    } catch (RuntimeException e) {
      log.warn("Cannot read the other replicas' agent connections: {}; using the list read before", e.getMessage());
    }
    remoteReadAt = System.nanoTime();
    return remote;
  }

  @Override
  public List<Connection> of(String agentName) {
    List<Connection> mine = local.of(agentName);
    List<Connection> theirs = remote().stream().filter(c -> c.agentName().equals(agentName)).toList();
    if (theirs.isEmpty()) {
      return mine;
    }
    return Stream.concat(mine.stream(), theirs.stream())
        .sorted(Comparator.comparing(Connection::since).thenComparing(Connection::id)).toList();
  }

  @Override
  public List<Connection> all() {
    List<Connection> all = new ArrayList<>(local.all());
    all.addAll(remote());
    all.sort(Comparator.comparing(Connection::agentName).thenComparing(Connection::since));
    return all;
  }

  /** Whether the connection applies its agent's GitOps, as the replica that holds it decided. */
  @Override
  public boolean applies(String agentName, String connectionId) {
    if (local.applies(agentName, connectionId)) {
      return true;
    }
    remote();
    synchronized (this) {
      return remoteApplying.contains(connectionId);
    }
  }

  @Override
  public Optional<Connection> applier(String agentName) {
    return local.applier(agentName);
  }

  /** Stops writing, after one last write of what is pending. */
  @Override
  public void close() {
    writer.close();
  }
}
