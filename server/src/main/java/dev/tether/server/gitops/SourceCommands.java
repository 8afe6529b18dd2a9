package dev.tether.server.gitops;

import dev.tether.proto.v1.DriftCorrection;
import dev.tether.proto.v1.SourceCommand;
import dev.tether.proto.v1.SyncNow;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An administrator's actions on one agent's manifest project entry, sent down the entry's open
 * gitops stream: sync now, and pause or resume drift correction. A pause is kept here and sent again
 * on every new stream of the entry, so that an agent that restarts stays paused; the agent reports
 * the state it runs with, which is what the API shows.
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
  private final Map<String, Boolean> paused = new ConcurrentHashMap<>();

  SourceCommands(ManifestDistribution distribution) {
    this.distribution = distribution;
  }

  public Outcome syncNow(String agentName, String inventoryId) {
    return send(agentName, inventoryId, SourceCommand.newBuilder().setSyncNow(SyncNow.getDefaultInstance()).build());
  }

  /** Pauses or resumes drift correction; the wish is kept for the entry's later streams even when none is open now. */
  public Outcome driftCorrection(String agentName, String inventoryId, boolean pause) {
    paused.put(key(agentName, inventoryId), pause);
    return send(agentName, inventoryId, pauseCommand(pause));
  }

  /** A new stream of an entry: a paused entry is told at once. */
  void opened(ManifestStream stream) {
    Boolean pause = paused.get(key(stream.agent.agentName(), stream.inventoryId));
    if (pause != null && pause) {
      stream.command(pauseCommand(true));
    }
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

  private static String key(String agentName, String inventoryId) {
    return agentName + "\n" + inventoryId;
  }
}
