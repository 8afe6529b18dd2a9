package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.connection.BearerToken;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.ObjectResult;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.common.config.ManifestProject;
import dev.tether.it.support.GitopsSetup;
import dev.tether.proto.v1.GitRefSpec;
import dev.tether.proto.v1.GitopsAgentMessage;
import dev.tether.proto.v1.GitopsGrpc;
import dev.tether.proto.v1.GitopsServerMessage;
import dev.tether.proto.v1.ManifestsHeader;
import dev.tether.proto.v1.ManifestsRequest;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GitOps path end to end: Git → server → agent → API server, and back as status. */
@WithKubernetes
class GitopsSyncTest {

  @Test
  @DisplayName("new objects are applied with server-side apply and recorded in a cli-utils inventory; status reaches the API")
  void newObjectsApplied(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("manifests/settings.yaml", configMap("settings", "blue"));
      setup.manifests.write("manifests/deploy.yaml", """
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers:
                  - name: web
                    image: registry.example.com/web:1.0
                    resources: {requests: {cpu: 100m, memory: 64Mi}}
          """);
      String commit = setup.manifests.commitAndPush("Add the app");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n");
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as(outcome.message()).isEqualTo(Phase.SYNCED);
      assertThat(outcome.count(Action.CREATED)).isEqualTo(2);
      ConfigMap settings = client.configMaps().withName("settings").get();
      assertThat(settings.getData()).containsEntry("value", "blue");
      assertThat(settings.getMetadata().getAnnotations()).containsEntry("config.k8s.io/owning-inventory", "prod-team.app");
      assertThat(settings.getMetadata().getManagedFields()).extracting(m -> m.getManager()).contains("tether");
      ConfigMap inventory = client.configMaps().withName("inventory-prod-team.app").get();
      assertThat(inventory.getMetadata().getLabels()).containsEntry("cli-utils.sigs.k8s.io/inventory-id", "prod-team.app");
      assertThat(inventory.getData()).containsOnlyKeys(ns + "_settings__ConfigMap", ns + "_web_apps_Deployment");
      assertThat(outcome.objects()).filteredOn(o -> o.key().kind().equals("Deployment")).singleElement()
          .satisfies(o -> assertThat(o.health().statusName()).isEqualTo("InProgress"));

      await().atMost(Duration.ofSeconds(10)).until(() -> {
        JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
        return syncs.size() == 1 && syncs.get(0).get("phase").asText().equals("synced");
      });
      JsonNode status = setup.tether.api().get("/api/v1/agents/prod/gitops").get(0);
      assertThat(status.get("project").asText()).isEqualTo("team/app");
      assertThat(status.get("commit").asText()).isEqualTo(commit);
      assertThat(status.get("applied").asInt()).isEqualTo(2);
      assertThat(status.get("objects")).hasSize(2);
    }
  }

  @Test
  @DisplayName("one project listed twice, each entry with its own inventory_id and paths: two inventories, two sync reports; one removed, one report")
  void sameProjectTwiceKeepsTwoReports(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns)
      throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests.write("blue/a.yaml", configMap("blue", "1")).write("green/a.yaml", configMap("green", "1"))
          .write("green/b.yaml", configMap("green-too", "1")).commitAndPush("Two colours");
      setup.configure("gitops:\n  manifest_projects:\n"
          + "    - id: team/app\n      default_namespace: " + ns + "\n      paths: [ { glob: 'blue/*.yaml' } ]\n"
          + "    - id: team/app\n      default_namespace: " + ns + "\n      inventory_id: app-green\n"
          + "      paths: [ { glob: 'green/*.yaml' } ]\n");
      setup.startAgent();

      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
        return syncs.size() == 2 && syncs.get(0).get("phase").asText().equals("synced")
            && syncs.get(1).get("phase").asText().equals("synced");
      });
      JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
      assertThat(syncs).extracting(s -> s.get("project").asText()).containsOnly("team/app");
      assertThat(syncs).extracting(s -> s.get("commit").asText()).containsOnly(commit);
      assertThat(syncs).extracting(s -> s.get("inventory_id").asText() + ":" + s.get("objects").size())
          .containsExactlyInAnyOrder("app-green:2", "prod-team.app:1");
      assertThat(client.configMaps().withName("inventory-app-green").get().getData()).hasSize(2);
      assertThat(client.configMaps().withName("inventory-prod-team.app").get().getData()).hasSize(1);

      // The blue entry leaves the configuration: its report goes too, rather than saying "synced" forever.
      setup.configure("gitops:\n  manifest_projects:\n"
          + "    - id: team/app\n      default_namespace: " + ns + "\n      inventory_id: app-green\n"
          + "      paths: [ { glob: 'green/*.yaml' } ]\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> setup.tether.api().get("/api/v1/agents/prod/gitops").size() == 1);
      Thread.sleep(1500); // a last report of the removed entry, had it been stored, would have arrived by now
      assertThat(setup.tether.api().get("/api/v1/agents/prod/gitops")).singleElement()
          .satisfies(s -> assertThat(s.get("inventory_id").asText()).isEqualTo("app-green"));
    }
  }

  @Test
  @DisplayName("after a server restart the agent sends its last report again: the status is fresh and the sync is not announced twice")
  void lastReportResentAfterServerRestart(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests.write("a.yaml", configMap("settings", "blue")).commitAndPush("Settings");
      setup.configure(config(ns, ""));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        JsonNode syncs = setup.tether.api().get("/api/v1/agents/prod/gitops");
        return syncs.size() == 1 && syncs.get(0).get("phase").asText().equals("synced");
      });
      java.time.Instant reported = java.time.Instant.parse(
          setup.tether.api().get("/api/v1/agents/prod/gitops").get(0).get("reported_at").asText());
      assertThat(setup.tether.api().get("/api/v1/events?agent=prod&kind=sync").get("events")).hasSize(1);

      setup.tether.restartServer();

      // The resent report may be followed at once by the resync that the server's confirmation of the manifests
      // starts ("syncing", then "synced" with 0 writes): wait for a fresh report of the finished sync.
      // The status checked is the one that passed: reading it again could meet the next resync's "syncing".
      java.util.concurrent.atomic.AtomicReference<JsonNode> finished = new java.util.concurrent.atomic.AtomicReference<>();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        JsonNode fresh = setup.tether.api().get("/api/v1/agents/prod/gitops").get(0);
        finished.set(fresh);
        return java.time.Instant.parse(fresh.get("reported_at").asText()).isAfter(reported)
            && fresh.get("phase").asText().equals("synced");
      });
      JsonNode status = finished.get();
      assertThat(status.get("commit").asText()).isEqualTo(commit);
      assertThat(status.get("phase").asText()).isEqualTo("synced");
      assertThat(status.get("objects")).hasSize(1);
      assertThat(setup.tether.api().get("/api/v1/events?agent=prod&kind=sync").get("events")).hasSize(1);
    }
  }

  @Test
  @DisplayName("an agent of the previous version, whose request names no inventory id, still gets its manifests")
  void previousAgentVersionIsServed(@TempDir Path dir, KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests.write("a.yaml", configMap("settings", "blue")).commitAndPush("Settings");
      Path token = setup.tether.createAgent("prod", "platform/config");
      String configCommit = setup.configure(config(ns, ""));
      await().atMost(Duration.ofSeconds(20)).until(() -> configCommit.equals(
          setup.tether.agentStatus("prod").get("config").path("valid_commit").asText()));
      ManagedChannel channel = NettyChannelBuilder.forTarget(setup.tether.agentTarget(),
          TlsChannelCredentials.newBuilder().trustManager(setup.tether.caFile().toFile()).build()).build();
      try {
        CompletableFuture<ManifestsHeader> header = new CompletableFuture<>();
        StreamObserver<GitopsAgentMessage> requests = GitopsGrpc.newStub(channel)
            .withCallCredentials(new BearerToken(Files.readString(token).strip()))
            .sync(new StreamObserver<>() {
              @Override
              public void onNext(GitopsServerMessage message) {
                if (message.hasHeader()) {
                  header.complete(message.getHeader());
                }
              }

              @Override
              public void onError(Throwable t) {
                header.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                header.completeExceptionally(new IllegalStateException("the stream ended"));
              }
            });
        // Exactly what the previous version sent: no inventory_id.
        requests.onNext(GitopsAgentMessage.newBuilder().setRequest(ManifestsRequest.newBuilder()
            .setProjectId("team/app").setRef(GitRefSpec.newBuilder().setDefaultBranch(true))
            .addGlobs(ManifestProject.DEFAULT_GLOB)).build());

        assertThat(header.get(20, TimeUnit.SECONDS).getCommit()).isEqualTo(commit);
        requests.onCompleted();
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static String config(TestNamespace ns, String extra) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n" + extra;
  }

  @Test
  @DisplayName("a change is applied, a removed file is pruned, and a renamed object is replaced (old pruned, new applied)")
  void changeRemoveRename(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("a.yaml", configMap("alpha", "1")).write("b.yaml", configMap("beta", "1"))
          .write("c.yaml", configMap("gamma", "1"));
      String first = setup.manifests.commitAndPush("Three maps");
      setup.configure(config(ns, ""));
      setup.startAgent();
      assertThat(setup.awaitSync(first).count(Action.CREATED)).isEqualTo(3);
      String alphaUid = client.configMaps().withName("alpha").get().getMetadata().getUid();

      setup.manifests.write("a.yaml", configMap("alpha", "2")).delete("b.yaml").write("c.yaml", configMap("delta", "1"));
      SyncOutcome second = setup.awaitSync(setup.manifests.commitAndPush("Change alpha, drop beta, rename gamma to delta"));

      assertThat(second.phase()).as(second.message()).isEqualTo(Phase.SYNCED);
      assertThat(second.objects()).extracting(o -> o.key().name() + ":" + o.action().wireName())
          .containsExactlyInAnyOrder("alpha:configured", "delta:created", "beta:pruned", "gamma:pruned");
      assertThat(client.configMaps().withName("alpha").get().getData()).containsEntry("value", "2");
      assertThat(client.configMaps().withName("alpha").get().getMetadata().getUid()).isEqualTo(alphaUid);
      assertThat(client.configMaps().withName("beta").get()).isNull();
      assertThat(client.configMaps().withName("gamma").get()).isNull();
      assertThat(client.configMaps().withName("delta").get()).isNotNull();
      assertThat(client.configMaps().withName("inventory-prod-team.app").get().getData())
          .containsOnlyKeys(ns + "_alpha__ConfigMap", ns + "_delta__ConfigMap");
    }
  }

  @Test
  @DisplayName("a CRD and its custom resource in one commit: the CRD is applied and established first, then the resource")
  void crdAndCustomResource(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    String group = ns.name().replaceAll("[^a-z0-9]", "") + ".example.com";
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("crd.yaml", """
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata:
            name: widgets.%1$s
          spec:
            group: %1$s
            scope: Namespaced
            names: {plural: widgets, singular: widget, kind: Widget}
            versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {type: object, properties: {size: {type: integer}}}
          """.formatted(group));
      setup.manifests.write("widget.yaml", """
          apiVersion: %s/v1
          kind: Widget
          metadata:
            name: gizmo
          spec:
            size: 3
          """.formatted(group));
      String commit = setup.manifests.commitAndPush("A CRD and a widget");
      setup.configure(config(ns, ""));
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as("%s: %s", outcome.message(), outcome.objects()).isEqualTo(Phase.SYNCED);
      assertThat(outcome.objects()).extracting(o -> o.key().kind() + ":" + o.action().wireName() + ":" + o.health().statusName())
          .containsExactlyInAnyOrder("CustomResourceDefinition:created:Current", "Widget:created:Current");
      assertThat(outcome.objects()).filteredOn(o -> o.key().isCrd()).extracting(ObjectResult::message)
          .as("an established CRD says so, not what it said while it was being established").containsExactly("established");
      var widget = client.genericKubernetesResources(group + "/v1", "Widget").inNamespace(ns.name()).withName("gizmo").get();
      assertThat(widget).isNotNull();
      assertThat(((java.util.Map<?, ?>) widget.getAdditionalProperties().get("spec")).get("size")).isEqualTo(3);

      setup.manifests.delete("crd.yaml").delete("widget.yaml").write("keep.yaml", configMap("keep", "1"));
      SyncOutcome pruned = setup.awaitSync(setup.manifests.commitAndPush("Remove the widget and its CRD"));

      assertThat(pruned.phase()).as(pruned.message()).isEqualTo(Phase.SYNCED);
      assertThat(pruned.objects()).extracting(o -> o.key().kind() + ":" + o.action().wireName())
          .contains("Widget:pruned", "CustomResourceDefinition:pruned");
      assertThat(client.apiextensions().v1().customResourceDefinitions().withName("widgets." + group).get()).isNull();
    }
  }

  @Test
  @DisplayName("a Namespace and objects in it are applied in order; removed, the objects go first and the namespace last")
  void namespaceAndObjectsInIt(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    String team = ns.name() + "-team";
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + team + "\n")
          .write("cm.yaml", configMap("inside", "1").replace("  name: inside", "  name: inside\n  namespace: " + team))
          .write("home.yaml", configMap("home", "1"));
      String commit = setup.manifests.commitAndPush("A team namespace");
      setup.configure(config(ns, ""));
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as(outcome.message()).isEqualTo(Phase.SYNCED);
      assertThat(client.configMaps().inNamespace(team).withName("inside").get()).isNotNull();

      setup.manifests.delete("ns.yaml").delete("cm.yaml");
      SyncOutcome pruned = setup.awaitSync(setup.manifests.commitAndPush("Drop the team namespace"));

      assertThat(pruned.phase()).as(pruned.message()).isEqualTo(Phase.SYNCED);
      assertThat(pruned.objects()).extracting(o -> o.key().kind() + ":" + o.action().wireName()).contains("ConfigMap:pruned", "Namespace:pruned");
      assertThat(client.namespaces().withName(team).get()).isNull();
    }
  }

  @Test
  @DisplayName("1000 objects are synced, and a resync of the same commit writes nothing")
  void thousandObjects(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      for (int file = 0; file < 10; file++) {
        StringBuilder docs = new StringBuilder();
        for (int i = 0; i < 100; i++) {
          docs.append("---\n").append(configMap("cm-" + file + "-" + i, "v" + i));
        }
        setup.manifests.write("bulk/file-" + file + ".yaml", docs.toString());
      }
      String commit = setup.manifests.commitAndPush("A thousand maps");
      setup.configure(config(ns, "      resync_interval: 2s\n"));
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as(outcome.message()).isEqualTo(Phase.SYNCED);
      assertThat(outcome.count(Action.CREATED)).isEqualTo(1000);
      assertThat(client.configMaps().withLabel("cli-utils.sigs.k8s.io/inventory-id").list().getItems()).hasSize(1);
      assertThat(client.configMaps().list().getItems()).hasSizeGreaterThanOrEqualTo(1001);

      java.time.Instant first = outcome.started();
      await().atMost(Duration.ofSeconds(20)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.started().isAfter(first) && o.phase() == Phase.SYNCED).orElse(false));
      SyncOutcome resync = setup.agent().gitops().outcome("team/app").orElseThrow();
      assertThat(resync.count(Action.UNCHANGED)).isEqualTo(1000);
      assertThat(resync.applied()).isZero();
    }
  }
}
