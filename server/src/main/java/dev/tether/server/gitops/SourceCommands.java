package dev.tether.server.gitops;

import dev.tether.proto.v1.DriftCorrection;
import dev.tether.proto.v1.SourceCommand;
import dev.tether.proto.v1.SyncNow;
import dev.tether.server.store.GitopsStateStore;
import java.time.Clock;
import java.util.List;

/**
 * An administrator's actions on one agent's manifest project entry, sent down the entry's open
 * gitops stream: sync now, and pause or resume drift correction. A pause is kept in the store and its
 * state sent again on every new stream of the entry, so that an agent that restarts, or reconnects to
 * a restarted server or another replica, stays paused (and one resumed while away resumes); the agent
 * reports the state it runs with, which is what the API shows.
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

  private final ManifestDistribution distribution;
  private final GitopsStateStore states;
  private final Clock clock;

  SourceCommands(ManifestDistribution distribution, GitopsStateStore states, Clock clock) {
    this.distribution = distribution;
    this.states = states;
    this.clock = clock;
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
