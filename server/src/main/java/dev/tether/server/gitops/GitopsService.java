package dev.tether.server.gitops;

import dev.tether.common.config.GitRef;
import dev.tether.common.config.ManifestProject;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.SyncReport;
import dev.tether.server.configuration.ConfigurationHub;
import dev.tether.server.configuration.ConfigurationUpdate;
import dev.tether.server.connection.OpenCalls;
import dev.tether.server.connection.AgentIdentity;
import dev.tether.server.connection.OutboundStream;
import dev.tether.server.store.GitopsStateStore;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server half of GitOps: one stream per agent and manifest project. */
public final class GitopsService extends GitopsGrpc.GitopsImplBase {
  private static final Logger log = LoggerFactory.getLogger(GitopsService.class);

  private final ManifestDistribution distribution;
  private final ConfigurationHub configurations;
  private final GitopsStateStore states;
  private final OpenCalls calls;
  private final Clock clock;

  public GitopsService(ManifestDistribution distribution, ConfigurationHub configurations, GitopsStateStore states,
      OpenCalls calls, Clock clock) {
    this.distribution = distribution;
    this.configurations = configurations;
    this.states = states;
    this.calls = calls;
    this.clock = clock;
  }

  @Override
  public StreamObserver<GitopsAgentMessage> sync(StreamObserver<GitopsServerMessage> responses) {
    AgentIdentity identity = AgentIdentity.current();
    OutboundStream<GitopsServerMessage> toAgent = new OutboundStream<>(responses);
    AutoCloseable registration = calls.register(identity.tokenId(), reason -> toAgent.fail(Status.UNAUTHENTICATED.withDescription(reason)));
    Handler handler = new Handler(identity, toAgent);
    toAgent.onEnd(() -> {
      handler.close();
      OutboundStream.closeQuietly(registration);
    });
    return handler;
  }

  private final class Handler implements StreamObserver<GitopsAgentMessage> {
    private final AgentIdentity identity;
    private final OutboundStream<GitopsServerMessage> toAgent;
    private ManifestStream stream;

    Handler(AgentIdentity identity, OutboundStream<GitopsServerMessage> toAgent) {
      this.identity = identity;
      this.toAgent = toAgent;
    }

    @Override
    public void onNext(GitopsAgentMessage message) {
      if (message.hasRequest()) {
        if (stream != null) {
          toAgent.fail(Status.INVALID_ARGUMENT.withDescription("a gitops stream serves one manifest project; open another stream"));
          return;
        }
        ManifestsRequest request = message.getRequest();
        GitRef ref = ref(request.getRef());
        Optional<String> refused = refusal(request, ref);
        if (refused.isPresent()) {
          log.warn("Refused a gitops stream of agent '{}': {}", identity.agentName(), refused.get());
          toAgent.fail(Status.PERMISSION_DENIED.withDescription(refused.get()));
          return;
        }
        stream = new ManifestStream(identity, request.getProjectId(), ref, request.getGlobsList(), toAgent,
            request.getKnownCommit(), request.getKnownDigest());
        distribution.register(stream);
        distribution.offer(stream);
      } else if (message.hasReport() && stream != null) {
        record(message.getReport());
      }
    }

    private Optional<String> refusal(ManifestsRequest request, GitRef ref) {
      Optional<ConfigurationUpdate> current = configurations.current(identity.agentName());
      List<ManifestProject> listed = current.map(c -> c.config().gitops().manifestProjects()).orElse(List.of());
      boolean allowed = listed.stream().anyMatch(p -> p.id().equals(request.getProjectId()) && p.ref().equals(ref)
          && p.globs().equals(request.getGlobsList()));
      return allowed ? Optional.empty() : Optional.of("manifest project '" + request.getProjectId() + "' (" + ref + ", paths "
          + request.getGlobsList() + ") is not in agent '" + identity.agentName() + "''s current configuration");
    }

    private void record(SyncReport report) {
      states.record(identity.agentName(), stream.projectId, report.toByteArray(), clock.instant());
      if (!report.getPhase().equals("syncing")) {
        log.info("Agent '{}' {} project '{}' at {}: {} applied, {} unchanged, {} pruned, {} failed, {} drift corrected in {} ms{}",
            identity.agentName(), report.getPhase(), stream.projectId, shortCommit(report.getCommit()), report.getApplied(),
            report.getUnchanged(), report.getPruned(), report.getFailed(), report.getDriftCorrected(),
            report.getFinishedUnixMillis() - report.getStartedUnixMillis(),
            report.getMessage().isEmpty() ? "" : ": " + report.getMessage());
      }
    }

    @Override
    public void onError(Throwable t) {
      close();
    }

    @Override
    public void onCompleted() {
      close();
      toAgent.complete();
    }

    synchronized void close() {
      if (stream != null) {
        distribution.unregister(stream);
      }
    }
  }

  static GitRef ref(GitRefSpec spec) {
    return switch (spec.getKindCase()) {
      case BRANCH -> new GitRef(GitRef.Kind.BRANCH, spec.getBranch());
      case TAG -> new GitRef(GitRef.Kind.TAG, spec.getTag());
      case COMMIT -> new GitRef(GitRef.Kind.COMMIT, spec.getCommit());
      default -> GitRef.defaultBranch();
    };
  }

  private static String shortCommit(String commit) {
    return commit.length() > 12 ? commit.substring(0, 12) : commit;
  }
}
