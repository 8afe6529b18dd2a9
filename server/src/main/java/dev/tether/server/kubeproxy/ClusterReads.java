package dev.tether.server.kubeproxy;

import dev.tether.proto.v1.Header;
import dev.tether.proto.v1.Impersonation;
import dev.tether.proto.v1.ProxyRequest;
import dev.tether.proto.v1.TunnelAgentMessage;
import dev.tether.proto.v1.TunnelServerMessage;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.replica.ReplicaCalls;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * The server's own reads of an agent's cluster, through one of the agent's idle tunnels: what the web
 * UI shows live (objects, their children, their events). Only GET is possible here, and the request
 * runs as the agent's own identity, which can already read what it applies; no client header, token
 * or impersonation passes through. The caller the agent logs is "the server's web UI". With replicas,
 * a read for an agent whose tunnels another replica holds runs there, as a {@link ReplicaCalls call}.
 */
public final class ClusterReads {
  private static final Duration TUNNEL_WAIT = Duration.ofSeconds(10);
  private static final Duration ANSWER_WAIT = Duration.ofSeconds(30);
  private static final long MAX_ANSWER_BYTES = 64L * 1024 * 1024;

  private static final String CALL = "cluster-read";
  /** The status a forwarded read answers when it did not reach the API server; the body is the reason. */
  private static final int UNREACHABLE = 0;

  private final TunnelPool pool;
  private final AgentDirectory connections;
  private final String self;
  private final Optional<ReplicaCalls> replicas;

  ClusterReads(TunnelPool pool, AgentDirectory connections, String self, Optional<ReplicaCalls> replicas) {
    this.pool = pool;
    this.connections = connections;
    this.self = self;
    this.replicas = replicas;
    replicas.ifPresent(calls -> calls.serve(CALL, params -> {
      try {
        Answer answer = here(params.get("agent"), params.get("path"), params.get("query"));
        return new ReplicaCalls.Answer(answer.status(), answer.body());
      } catch (UnreachableException e) {
        return new ReplicaCalls.Answer(UNREACHABLE, e.getMessage().getBytes(StandardCharsets.UTF_8));
      }
    }));
  }

  /** What the API server answered: its status code and body (JSON for the Kubernetes API). */
  public record Answer(int status, byte[] body) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** A read that did not reach the API server; the message says why and what to do. */
  public static final class UnreachableException extends Exception {
    public UnreachableException(String message) {
      super(message);
    }
  }

  /**
   * GETs {@code path} (with {@code query}, which may be empty) from the agent's API server.
   *
   * @throws UnreachableException when the agent is not connected, has no free tunnel, or the tunnel broke
   */
  public Answer get(String agentName, String path, String query) throws UnreachableException, InterruptedException {
    if (replicas.isPresent() && !connections.holdsHere(agentName, self)) {
      List<String> owners = connections.otherReplicasHolding(agentName, self);
      if (!owners.isEmpty()) {
        ReplicaCalls.Answer answer;
        try {
          answer = replicas.get().call(owners, CALL, Map.of("agent", agentName, "path", path, "query", query));
        } catch (ReplicaCalls.UnreachableException e) {
          throw new UnreachableException("agent '" + agentName + "' is connected to another server replica, which cannot be "
              + "reached: " + e.getMessage());
        }
        if (answer.status() == UNREACHABLE) {
          throw new UnreachableException(new String(answer.body(), StandardCharsets.UTF_8));
        }
        return new Answer(answer.status(), answer.body());
      }
    }
    return here(agentName, path, query);
  }

  /** Reads through a tunnel this replica holds. */
  private Answer here(String agentName, String path, String query) throws UnreachableException, InterruptedException {
    if (!connections.holdsHere(agentName, self)) {
      throw new UnreachableException("agent '" + agentName + "' is not connected, so its cluster cannot be read now");
    }
    Optional<Tunnel> taken = pool.take(agentName, TUNNEL_WAIT);
    if (taken.isEmpty()) {
      throw new UnreachableException("agent '" + agentName + "' has no free tunnel to its cluster; try again in a moment");
    }
    Tunnel tunnel = taken.get();
    tunnel.start();
    ProxyRequest request = ProxyRequest.newBuilder().setMethod("GET").setPath(path).setQuery(query)
        .setImpersonation(Impersonation.getDefaultInstance()).setCaller("the server's web UI").setNoBody(true).setKeepOpen(true)
        .addHeaders(Header.newBuilder().setName("Accept").addValues("application/json")).build();
    if (!tunnel.send(TunnelServerMessage.newBuilder().setRequest(request).build())) {
      throw new UnreachableException("agent '" + agentName + "' closed the tunnel: " + tunnel.endReason());
    }
    Optional<TunnelAgentMessage> first = tunnel.next(ANSWER_WAIT);
    if (first.isEmpty()) {
      tunnel.cancel("no answer");
      throw new UnreachableException("agent '" + agentName + "' did not answer within " + ANSWER_WAIT.toSeconds() + " s");
    }
    if (first.get().hasFailure()) {
      tunnel.complete();
      throw new UnreachableException("agent '" + agentName + "' could not reach its API server: " + first.get().getFailure().getMessage());
    }
    int status = first.get().getStart().getStatus();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      Optional<TunnelAgentMessage> next = tunnel.next(ANSWER_WAIT);
      if (next.isEmpty()) {
        tunnel.cancel("no answer");
        throw new UnreachableException("agent '" + agentName + "' stopped answering GET " + path);
      }
      if (next.get().hasEnd()) {
        tunnel.complete();
        return new Answer(status, body.toByteArray());
      }
      if (next.get().hasBody()) {
        if (body.size() + next.get().getBody().getData().size() > MAX_ANSWER_BYTES) {
          tunnel.cancel("answer too large");
          throw new UnreachableException("GET " + path + " answered more than " + MAX_ANSWER_BYTES + " bytes; the UI reads less at a time");
        }
        body.writeBytes(next.get().getBody().getData().toByteArray());
      }
    }
  }
}
