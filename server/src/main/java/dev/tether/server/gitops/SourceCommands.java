package dev.tether.server.gitops;

import dev.tether.proto.v1.DriftCorrection;
import dev.tether.proto.v1.SourceCommand;
import dev.tether.proto.v1.SyncNow;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tether.server.connection.AgentDirectory;
import dev.tether.server.replica.ReplicaCalls;
import dev.tether.server.store.GitopsStateStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An administrator's actions on one agent's manifest project entry, sent down the entry's open
 * gitops stream: sync now, and pause or resume drift correction. A pause is kept in the store and its
 * state sent again on every new stream of the entry, so that an agent that restarts, or reconnects to
 * a restarted server or another replica, stays paused (and one resumed while away resumes); the agent
 * reports the state it runs with, which is what the API shows. With replicas, a command for an entry
 * whose stream another replica holds is sent there, as a {@link ReplicaCalls call}.
 */
public final class SourceCommands {
  /** What became of a command. */
  public enum Outcome {
    SENT,
    /** The agent has no open stream for the entry (disconnected, or not applying on this server). */
    NOT_CONNECTED,
    /** The agent predates commands: it neither syncs on request nor pauses. */
    AGENT_TOO_OLD
  }

  private static final String CALL = "source-command";

  private static final Logger log = LoggerFactory.getLogger(SourceCommands.class);
  private final ManifestDistribution distribution;
  private final GitopsStateStore states;
  private final Clock clock;
  private final AgentDirectory connections;
  private final String self;
  private final Optional<ReplicaCalls> replicas;

  SourceCommands(ManifestDistribution distribution, GitopsStateStore states, Clock clock, AgentDirectory connections, String self,
      Optional<ReplicaCalls> replicas) {
    this.distribution = distribution;
    this.states = states;
    this.clock = clock;
    this.connections = connections;
    this.self = self;
    this.replicas = replicas;
    replicas.ifPresent(calls -> calls.serve(CALL, params -> {
      SourceCommand command;
      try {
        command = SourceCommand.parseFrom(Base64.getDecoder().decode(params.get("command")));
      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
        return new ReplicaCalls.Answer(400, ("unreadable command: " + e.getMessage()).getBytes(StandardCharsets.UTF_8));
      }
      Outcome outcome = sendHere(params.get("agent"), params.get("inventory"), command);
      return new ReplicaCalls.Answer(200, outcome.name().getBytes(StandardCharsets.UTF_8));
    }));
  }

  public Outcome syncNow(String agentName, String inventoryId) {
    return send(agentName, inventoryId, SourceCommand.newBuilder().setSyncNow(SyncNow.getDefaultInstance()).build());
  }

  /** Pauses or resumes drift correction; the wish is kept for the entry's later streams even when none is open now. */
  public Outcome driftCorrection(String agentName, String inventoryId, boolean pause) {
    states.pauseDriftCorrection(agentName, inventoryId, pause, clock.instant());
    return send(agentName, inventoryId, pauseCommand(pause));
  }

  /**
   * A new stream of an entry: told at once whether drift correction is paused. Resuming an agent that
   * runs unpaused changes nothing, so the state is sent either way (an agent paused before a resume it
   * missed while disconnected resumes now).
   */
  void opened(ManifestStream stream) {
    stream.command(pauseCommand(states.driftCorrectionPaused(stream.agent.agentName(), stream.inventoryId)));
  }

  private Outcome send(String agentName, String inventoryId, SourceCommand command) {
    Outcome here = sendHere(agentName, inventoryId, command);
    if (here != Outcome.NOT_CONNECTED || replicas.isEmpty()) {
      return here;
    }
    // The entry's stream is on the replica whose connection applies the agent's GitOps; any replica holding the agent may be it.
    for (String owner : connections.otherReplicasHolding(agentName, self)) {
      try {
        ReplicaCalls.Answer answer = replicas.get().call(List.of(owner), CALL, Map.of("agent", agentName, "inventory", inventoryId,
            "command", Base64.getEncoder().encodeToString(command.toByteArray())));
        Outcome there = answer.status() == 200 ? Outcome.valueOf(new String(answer.body(), StandardCharsets.UTF_8))
            : Outcome.NOT_CONNECTED;
        if (there != Outcome.NOT_CONNECTED) {
          return there;
        }
      } catch (ReplicaCalls.UnreachableException e) {
        log.info("Cannot send a command for agent '{}' to server replica {}: {}", agentName, owner, e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.NOT_CONNECTED;
      }
    }
    return Outcome.NOT_CONNECTED;
  }

  /** Sends down the entry's streams that this replica holds. */
  private Outcome sendHere(String agentName, String inventoryId, SourceCommand command) {
    List<ManifestStream> streams = distribution.streams(agentName, inventoryId);
    if (streams.isEmpty()) {
      return Outcome.NOT_CONNECTED;
    }
    boolean sent = false;
    for (ManifestStream stream : streams) {
      sent |= stream.command(command);
    }
    return sent ? Outcome.SENT : Outcome.AGENT_TOO_OLD;
  }

  private static SourceCommand pauseCommand(boolean pause) {
    return SourceCommand.newBuilder().setDriftCorrection(DriftCorrection.newBuilder().setPaused(pause)).build();
  }
}
