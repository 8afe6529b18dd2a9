package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import dev.tether.common.gitops.SourceMessages;
import dev.tether.it.support.ConfigProject;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.it.support.TetherHarness;
import dev.tether.proto.v1.AgentConnectionGrpc;
import dev.tether.proto.v1.AgentInfo;
import dev.tether.proto.v1.AgentMessage;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.proto.v1.ServerMessage;
import dev.tether.testkit.git.GitRepository;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 100 agents on the same Helm source and the same Kubernetes version cost the server one render. The
 * agents are 100 real sessions over TLS with 100 agent tokens, each opened as the agent opens it
 * (its cluster's version in the connection info, then a GitOps stream on the connection that holds
 * the GitOps role): only the applying half of the agent is left out, as 100 agents applying to one
 * test cluster would measure the cluster, not the server. The count is the server's own
 * {@code tether_renders_total}.
 */
class HundredAgentsOneRenderTest {
  private static final int AGENTS = 100;
  private static final ManifestSource.Helm WEB = new ManifestSource.Helm("chart", "web", "apps",
      List.of(new HelmValues.File("values/prod.yaml")));

  @Test
  @DisplayName("100 agents on one chart and one cluster version: one render, the same manifests for all")
  void hundredAgentsOneRender(@TempDir Path dir) throws Exception {
    GitRepository manifests = GitRepository.create(dir.resolve("repos"), "web");
    manifests.write("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
        .write("chart/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"
            + "data:\n  size: {{ .Values.size | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n")
        .write("values/prod.yaml", "size: large\n");
    manifests.commitAndPush("A chart");
    ConfigProject config = new ConfigProject(dir.resolve("repos"), "config");
    String yaml = "gitops:\n  manifest_projects:\n    - id: team/web\n      default_namespace: apps\n      helm:\n"
        + "        chart: chart\n        release_name: web\n        namespace: apps\n        values:\n          - file: values/prod.yaml\n";
    for (int i = 0; i < AGENTS; i++) {
      config.repo().write(".gitlab/agents/agent-" + i + "/config.yaml", yaml);
    }
    config.repo().commitAndPush("100 agents");

    try (TetherHarness tether = new TetherHarness(dir, Duration.ofMillis(300))) {
      tether.addProject("config", config.repo().bareDir().toString(), Map.of());
      tether.addProject("team/web", manifests.bareDir().toString(), Map.of());
      List<String> tokens = new ArrayList<>();
      for (int i = 0; i < AGENTS; i++) {
        tokens.add(Files.readString(tether.createAgent("agent-" + i, "config")).strip());
      }
      // The server reads the configurations after the agents are created; a GitOps stream for a project the
      // server does not yet know the agent's configuration names is refused, as for a real agent.
      await().atMost(Duration.ofSeconds(120)).until(() -> {
        for (int i = 0; i < AGENTS; i++) {
          if (!tether.agentStatus("agent-" + i).path("config").path("state").asText().equals("valid")) {
            return false;
          }
        }
        return true;
      });
      ManagedChannel channel = NettyChannelBuilder.forTarget(tether.agentTarget(),
          TlsChannelCredentials.newBuilder().trustManager(tether.caFile().toFile()).build()).build();
      try {
        List<CompletableFuture<String>> received = new ArrayList<>();
        for (String token : tokens) {
          received.add(manifests(channel, token));
        }
        List<String> rendered = new ArrayList<>();
        for (CompletableFuture<String> one : received) {
          rendered.add(one.get(120, TimeUnit.SECONDS));
        }
        assertThat(rendered).hasSize(AGENTS).allSatisfy(r -> assertThat(r).contains("size: \"large\"").contains("kube: \"v1.37.2\""));
        assertThat(rendered).as("the same bytes for every agent").containsOnly(rendered.get(0));
        PrometheusText metrics = PrometheusText.scrape(tether.server().httpUrl() + "/metrics");
        assertThat(metrics.sum("tether_renders_total", "kind", "helm")).as("one render for 100 agents").isEqualTo(1.0);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  /**
   * Connects as an agent of a v1.37.2 cluster and opens its GitOps stream once it holds the role; completes
   * with the rendered file's text.
   */
  private static CompletableFuture<String> manifests(ManagedChannel channel, String token) {
    CompletableFuture<String> result = new CompletableFuture<>();
    CallCredentials credentials = bearer(token);
    StreamObserver<AgentMessage> session = AgentConnectionGrpc.newStub(channel).withCallCredentials(credentials)
        .connect(new StreamObserver<>() {
          @Override
          public void onNext(ServerMessage message) {
            if (message.hasWelcome() && message.getWelcome().getGitopsRole().getApplies()) {
              openGitops(channel, credentials, message.getWelcome().getConnectionId(), result);
            }
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    session.onNext(AgentMessage.newBuilder().setInfo(AgentInfo.newBuilder().setVersion("test").setClusterVersion("v1.37.2")).build());
    result.whenComplete((done, error) -> session.onCompleted());
    return result;
  }

  private static void openGitops(ManagedChannel channel, CallCredentials credentials, String connectionId,
      CompletableFuture<String> result) {
    StringBuilder files = new StringBuilder();
    StreamObserver<GitopsAgentMessage> stream = GitopsGrpc.newStub(channel).withCallCredentials(credentials).sync(new StreamObserver<>() {
      @Override
      public void onNext(GitopsServerMessage message) {
        if (message.hasFiles()) {
          message.getFiles().getFilesList().forEach(f -> files.append(f.getContent().toString(StandardCharsets.UTF_8)));
        } else if (message.hasEnd()) {
          result.complete(files.toString());
        } else if (message.hasError()) {
          result.completeExceptionally(new AssertionError(message.getError().getMessage()));
        }
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    ManifestsRequest.Builder request = ManifestsRequest.newBuilder().setProjectId("team/web").setInventoryId("")
        .setRef(GitRefSpec.newBuilder().setDefaultBranch(true)).setConnectionId(connectionId).setRunsHooks(true);
    SourceMessages.describe(request, WEB);
    stream.onNext(GitopsAgentMessage.newBuilder().setRequest(request).build());
    result.whenComplete((done, error) -> stream.onCompleted());
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }
}
