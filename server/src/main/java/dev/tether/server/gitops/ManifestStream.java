package dev.tether.server.gitops;

import com.google.protobuf.ByteString;
import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestSource;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestFile;
import dev.tether.proto.v1.ManifestFiles;
import dev.tether.proto.v1.ManifestsEnd;
import dev.tether.proto.v1.ManifestsError;
import dev.tether.proto.v1.ManifestsHeader;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import dev.tether.server.render.ClusterCapabilities;
import java.util.Objects;

/**
 * One agent's stream for one manifest project: what it asked for and what it was last sent, so
 * that nothing is sent twice and a set of files always arrives whole.
 */
final class ManifestStream {
  private static final int CHUNK_BYTES = 1024 * 1024;

  final AgentIdentity agent;
  final String projectId;
  final GitRef ref;
  final ManifestSource source;
  final String inventoryId;
  // The agent's cluster as its connection reported it: Helm charts render for it.
  final ClusterCapabilities capabilities;
  private final OutboundStream<GitopsServerMessage> toAgent;
  private String sentCommit;
  private String sentDigest;
  private String sentError;
  // Whether this stream has answered at all: the first offer always does, so that an agent that applies
  // again after a pause learns its manifests are current before it applies what it holds.
  private boolean answered;
  // The most bytes the agent can take (sized from its heap); 0 when it did not say.
  private final long agentMaxBytes;

  // The agent acts on SourceCommand messages; older agents do not say so and are sent none.
  final boolean takesCommands;

  // The last render offered to this stream, for status; null for raw sources and before the first.
  private volatile RenderedSources.Outcome lastRender;

  ManifestStream(AgentIdentity agent, String projectId, GitRef ref, ManifestSource source, String inventoryId,
      OutboundStream<GitopsServerMessage> toAgent, String knownCommit, String knownDigest, long agentMaxBytes,
      ClusterCapabilities capabilities, boolean takesCommands) {
    this.takesCommands = takesCommands;
    this.agentMaxBytes = agentMaxBytes;
    this.capabilities = capabilities;
    this.agent = agent;
    this.projectId = projectId;
    this.ref = ref;
    this.source = source;
    this.inventoryId = inventoryId;
    this.toAgent = toAgent;
    this.sentCommit = knownCommit.isEmpty() ? null : knownCommit;
    this.sentDigest = knownDigest.isEmpty() ? null : knownDigest;
  }

  /** Sends the selection unless the agent has it; a new commit with the same content sends only a header. */
  synchronized void offer(ManifestSelection selection) {
    if (selection.commit().equals(sentCommit) && selection.digest().equals(sentDigest) && sentError == null && answered) {
      return;
    }
    if (agentMaxBytes > 0 && selection.totalBytes() > agentMaxBytes) {
      // Refused before a byte is sent: an agent that cannot hold the set would only spend its heap on it.
      offerError(selection.commit(), "the selected files are " + selection.totalBytes() + " bytes together; agent '"
          + agent.agentName() + "' takes at most " + agentMaxBytes + " bytes per manifest project (its --max-manifest-bytes, "
          + "by default an eighth of its heap): give the agent more memory, raise the limit, or select fewer files");
      return;
    }
    boolean unchanged = selection.digest().equals(sentDigest) && sentError == null;
    toAgent.send(GitopsServerMessage.newBuilder().setHeader(ManifestsHeader.newBuilder()
        .setCommit(selection.commit()).setDigest(selection.digest()).setFileCount(selection.files().size())
        .setTotalBytes(selection.totalBytes()).setUnchanged(unchanged)).build());
    if (!unchanged) {
      ManifestFiles.Builder chunk = ManifestFiles.newBuilder();
      long chunkBytes = 0;
      for (ManifestSelection.File file : selection.files()) {
        if (chunkBytes > 0 && chunkBytes + file.content().length > CHUNK_BYTES) {
          toAgent.send(GitopsServerMessage.newBuilder().setFiles(chunk).build());
          chunk = ManifestFiles.newBuilder();
          chunkBytes = 0;
        }
        chunk.addFiles(ManifestFile.newBuilder().setPath(file.path()).setContent(ByteString.copyFrom(file.content())));
        chunkBytes += file.content().length;
      }
      if (chunk.getFilesCount() > 0) {
        toAgent.send(GitopsServerMessage.newBuilder().setFiles(chunk).build());
      }
      toAgent.send(GitopsServerMessage.newBuilder().setEnd(ManifestsEnd.getDefaultInstance()).build());
    }
    sentCommit = selection.commit();
    sentDigest = selection.digest();
    sentError = null;
    answered = true;
  }

  /** Sends a render's manifests, or its error, and keeps it for status. */
  void offer(RenderedSources.Outcome render) {
    lastRender = render;
    if (render.error() != null) {
      offerError(render.commit(), render.error());
    } else {
      offer(render.selection());
    }
  }

  /** Sends an administrator's command; false when this agent does not take commands. */
  synchronized boolean command(dev.tether.proto.v1.SourceCommand command) {
    if (!takesCommands) {
      return false;
    }
    toAgent.send(GitopsServerMessage.newBuilder().setCommand(command).build());
    return true;
  }

  RenderedSources.Outcome lastRender() {
    return lastRender;
  }

  /** Tells the agent the manifests cannot be had now; said once per distinct problem. */
  synchronized void offerError(String commit, String message) {
    if (Objects.equals(message, sentError)) {
      return;
    }
    toAgent.send(GitopsServerMessage.newBuilder().setError(ManifestsError.newBuilder()
        .setCommit(commit == null ? "" : commit).setMessage(message)).build());
    sentError = message;
    answered = true;
  }
}
