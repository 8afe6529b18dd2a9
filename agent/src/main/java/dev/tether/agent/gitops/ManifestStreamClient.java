package dev.tether.agent.gitops;

import dev.tether.agent.connection.Session;
import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestProject;
import dev.tether.common.gitops.SourceMessages;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.ObjectAction;
import dev.tether.proto.v1.ObjectHealth;
import dev.tether.proto.v1.SourceCommand;
import dev.tether.proto.v1.SyncPhase;
import dev.tether.proto.v1.SyncReport;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One manifest project's gitops stream: asks the server for the project's manifests on each session,
 * assembles the sets it sends, and carries sync reports back. What arrives is handed to the
 * {@link Listener} on the worker's executor, in order.
 */
final class ManifestStreamClient {
  private static final Logger log = LoggerFactory.getLogger(ManifestStreamClient.class);

  /** What the server said, told on the worker's executor. */
  interface Listener {
    /** A complete new set of manifests. */
    void received(ManifestSet set);

    /** A new commit whose selection is the same as the set with {@code digest}. */
    void commitMoved(String commit, String digest);

    /** The manifests cannot be had now (refused by the server or too large for this agent). */
    void unavailable(String commit, String problem);

    /** An administrator's command: sync now, pause or resume drift correction. */
    void command(SourceCommand command);
  }

  private final ManifestProject project;
  private final String inventoryId;
  private final long maxManifestBytes;
  private final Executor worker;
  private final Listener listener;
  // The stream of the current session, if any.
  private volatile ClientCallStreamObserver<GitopsAgentMessage> stream;
  // The last complete set received, readable from gRPC threads for the next request.
  private final java.util.concurrent.atomic.AtomicReference<ManifestSet> latestReceived =
      new java.util.concurrent.atomic.AtomicReference<>();

  ManifestStreamClient(ManifestProject project, String inventoryId, long maxManifestBytes, Executor worker, Listener listener) {
    this.project = project;
    this.inventoryId = inventoryId;
    this.maxManifestBytes = maxManifestBytes;
    this.worker = worker;
    this.listener = listener;
  }

  /** Opens the stream on a new session and asks for manifests, saying what this agent already has. */
  void open(Session session) {
    ManifestsRequest.Builder request = ManifestsRequest.newBuilder().setProjectId(project.id()).setInventoryId(inventoryId)
        .setRef(refSpec(project.ref())).setConnectionId(session.connectionId()).setMaxTotalBytes(maxManifestBytes).setRunsHooks(true)
        .setTakesCommands(true);
    SourceMessages.describe(request, project.source());
    ManifestSet known = latestReceived.get();
    if (known != null) {
      request.setKnownCommit(known.commit()).setKnownDigest(known.digest());
    }
    Receiver receiver = new Receiver(session);
    session.stub(GitopsGrpc::newStub).sync(receiver);
    ClientCallStreamObserver<GitopsAgentMessage> opened = receiver.requests;
    synchronized (opened) {
      opened.onNext(GitopsAgentMessage.newBuilder().setRequest(request).build());
    }
    stream = opened;
  }

  /** Ends the stream (the session ended, or this connection may not apply). */
  void close() {
    ClientCallStreamObserver<GitopsAgentMessage> s = stream;
    stream = null;
    if (s != null) {
      s.cancel("session ended", null);
    }
  }

  /** The newest complete set received; newer than the one a sync works on when one arrived meanwhile. */
  ManifestSet latestReceived() {
    return latestReceived.get();
  }

  /**
   * The worker's set relabelled for a moved commit, so that the next session asks from there; false, and
   * nothing changed, when a newer set arrived meanwhile (it is synced next, not the relabelled one).
   */
  boolean relabel(ManifestSet held, ManifestSet moved) {
    return latestReceived.compareAndSet(held, moved);
  }

  /** Sends a report if a stream is open; a report that cannot be sent is dropped (the next session resends the state). */
  void send(SyncReport report) {
    ClientCallStreamObserver<GitopsAgentMessage> s = stream;
    if (s == null) {
      return;
    }
    try {
      synchronized (s) {
        s.onNext(GitopsAgentMessage.newBuilder().setReport(report).build());
      }
    } catch (RuntimeException e) {
      log.debug("gitops {}: report not sent: {}", project.id(), e.toString());
    }
  }

  boolean isOpen() {
    return stream != null;
  }

  private String tooLarge(long bytes) {
    return "the selected files are " + bytes + " bytes together; this agent takes at most " + maxManifestBytes
        + " bytes per manifest project (--max-manifest-bytes, by default an eighth of its heap): give the agent more memory, "
        + "raise the limit, or select fewer files";
  }

  /** Receives one stream's messages and assembles manifest sets. */
  private final class Receiver implements ClientResponseObserver<GitopsAgentMessage, GitopsServerMessage> {
    private final Session session;
    ClientCallStreamObserver<GitopsAgentMessage> requests;
    private String commit;
    private String digest;
    private List<ManifestFile> files;
    private long oversized;

    Receiver(Session session) {
      this.session = session;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GitopsAgentMessage> requestStream) {
      requests = requestStream;
    }

    @Override
    public void onNext(GitopsServerMessage message) {
      switch (message.getKindCase()) {
        case HEADER -> {
          commit = message.getHeader().getCommit();
          digest = message.getHeader().getDigest();
          files = null;
          oversized = 0;
          if (message.getHeader().getUnchanged()) {
            String moved = commit;
            String sameDigest = digest;
            worker.execute(() -> listener.commitMoved(moved, sameDigest));
          } else if (maxManifestBytes > 0 && message.getHeader().getTotalBytes() > maxManifestBytes) {
            // A server of the previous version does not know the limit: refuse here, before holding any of it.
            oversized = message.getHeader().getTotalBytes();
          } else {
            files = new ArrayList<>(message.getHeader().getFileCount());
          }
        }
        case FILES -> {
          if (files != null) {
            message.getFiles().getFilesList().forEach(f -> files.add(new ManifestFile(f.getPath(), f.getContent().toByteArray())));
          }
        }
        case END -> {
          if (oversized > 0) {
            String at = commit;
            String problem = tooLarge(oversized);
            oversized = 0;
            worker.execute(() -> listener.unavailable(at, problem));
          } else if (files != null) {
            ManifestSet set = new ManifestSet(commit, digest, List.copyOf(files));
            latestReceived.set(set);
            files = null;
            worker.execute(() -> listener.received(set));
          }
        }
        case ERROR -> {
          String problem = message.getError().getMessage();
          String at = message.getError().getCommit();
          worker.execute(() -> listener.unavailable(at, problem));
        }
        case COMMAND -> {
          SourceCommand command = message.getCommand();
          worker.execute(() -> listener.command(command));
        }
        default -> { }
      }
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      if (status.getCode() == Status.Code.PERMISSION_DENIED || status.getCode() == Status.Code.FAILED_PRECONDITION) {
        // The server has not caught up with a configuration change or a role change yet; the next session asks again.
        log.warn("gitops {}: {}", project.id(), status.getDescription());
      }
      if (status.getCode() != Status.Code.CANCELLED) {
        session.fail(t);
      }
    }

    @Override
    public void onCompleted() {
      session.fail(Status.UNAVAILABLE.withDescription("the server ended the gitops stream of " + project.id()).asRuntimeException());
    }
  }

  /**
   * The report of a sync's state, with the given objects (the latest health and drift where the state is
   * the current one). Phase, action and health go both typed and as the strings servers of the previous
   * version read; the strings can go once no such server is left.
   */
  static SyncReport report(SyncOutcome state, List<ObjectResult> objects, int corrected, boolean resent) {
    ChangeSet changes = new ChangeSet(objects);
    SyncReport.Builder report = SyncReport.newBuilder().setCommit(state.commit()).setPhase(state.phase().wireName())
        .setSyncPhase(SyncPhase.forNumber(state.phase().ordinal() + 1)).setMessage(state.message())
        .setStartedUnixMillis(state.started().toEpochMilli()).setFinishedUnixMillis(state.finished().toEpochMilli())
        .setApplied((int) changes.applied())
        .setUnchanged((int) changes.count(Action.UNCHANGED))
        .setPruned((int) changes.count(Action.PRUNED))
        .setFailed((int) changes.failures())
        .setDriftCorrected(corrected)
        .setInventory(state.inventory()).setResent(resent);
    for (ObjectResult o : objects) {
      report.addObjects(dev.tether.proto.v1.ObjectResult.newBuilder().setGroup(o.key().group()).setVersion(o.version())
          .setKind(o.key().kind()).setNamespace(o.key().namespace()).setName(o.key().name())
          .setAction(o.action().wireName()).setObjectAction(ObjectAction.forNumber(o.action().ordinal() + 1))
          .setHealth(o.health().statusName()).setObjectHealth(wireHealth(o.health()))
          .setMessage(o.message()).setFile(o.file()).setHookPhase(dev.tether.proto.v1.HookPhase.forNumber(o.hook().ordinal())));
    }
    return report.build();
  }

  private static ObjectHealth wireHealth(Health.Status health) {
    return switch (health) {
      case CURRENT -> ObjectHealth.OBJECT_HEALTH_CURRENT;
      case IN_PROGRESS -> ObjectHealth.OBJECT_HEALTH_IN_PROGRESS;
      case FAILED -> ObjectHealth.OBJECT_HEALTH_FAILED;
      case UNKNOWN -> ObjectHealth.OBJECT_HEALTH_UNKNOWN;
      case NOT_FOUND -> ObjectHealth.OBJECT_HEALTH_NOT_FOUND;
      case NONE -> ObjectHealth.OBJECT_HEALTH_UNSPECIFIED;
    };
  }

  private static GitRefSpec refSpec(GitRef ref) {
    return switch (ref.kind()) {
      case BRANCH -> GitRefSpec.newBuilder().setBranch(ref.name()).build();
      case TAG -> GitRefSpec.newBuilder().setTag(ref.name()).build();
      case COMMIT -> GitRefSpec.newBuilder().setCommit(ref.name()).build();
      case DEFAULT_BRANCH -> GitRefSpec.newBuilder().setDefaultBranch(true).build();
    };
  }
}
