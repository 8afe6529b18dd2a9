package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.Action;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeBinaries;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.metrics.PrometheusText;
import dev.tether.testkit.process.ExternalCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kustomize overlays as sources: rendered by the server with the real kustomize, applied by the
 * agent's engine like any manifests, refused when they reach outside the project or run programs.
 */
@WithKubernetes
class KustomizeSourceTest {
  private static final String AGENT = "tether-agent/";

  private static String config(TestNamespace ns, String source) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n" + source;
  }

  private static final String OVERLAY = "      kustomize: { path: overlays/prod }\n";

  /** A base elsewhere in the project, and an overlay with every kind of change the issue lists. */
  private static void writeApp(GitopsSetup setup, TestNamespace ns, int replicas) {
    setup.manifests
        .write("base/kustomization.yaml", """
            resources: [deployment.yaml, service.yaml]
            labels:
              - pairs: {app: web}
                includeSelectors: true
            """)
        .write("base/deployment.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 1
              template:
                spec:
                  containers:
                    - name: web
                      image: nginx:1.25
                      envFrom: [{configMapRef: {name: settings}}]
            """)
        .write("base/service.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              ports: [{name: http, port: 80}]
            """)
        .write("overlays/prod/kustomization.yaml", """
            namespace: %s
            namePrefix: prod-
            labels:
              - pairs: {env: prod}
            resources: [../../base]
            patches:
              - path: replicas.yaml
              - path: metrics-port.yaml
                target: {kind: Service, name: web}
            configMapGenerator:
              - name: settings
                literals: [LOG_LEVEL=info]
            images:
              - name: nginx
                newTag: "1.27"
            """.formatted(ns))
        .write("overlays/prod/replicas.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec: {replicas: %d}
            """.formatted(replicas))
        .write("overlays/prod/metrics-port.yaml", """
            - op: add
              path: /spec/ports/-
              value: {name: metrics, port: 9090}
            """);
  }

  /** kind/name of every object `kustomize build` renders of the overlay in the work tree. */
  private static Set<String> kustomizeBuild(GitopsSetup setup) {
    String out = ExternalCommand.of(KubeBinaries.locate().kustomize().toString(), "build", "overlays/prod")
        .directory(setup.manifests.workDir()).timeout(Duration.ofSeconds(60)).run().orThrow().stdout();
    Set<String> names = new TreeSet<>();
    for (String document : out.split("(?m)^---$")) {
      if (!document.isBlank()) {
        GenericKubernetesResource r = Serialization.unmarshal(document, GenericKubernetesResource.class);
        names.add(r.getKind() + "/" + r.getMetadata().getName());
      }
    }
    return names;
  }

  /** Renders the server ran, from its /metrics. */
  private static double renders(GitopsSetup setup) {
    PrometheusText metrics = PrometheusText.scrape(setup.tether.server().httpUrl() + "/metrics");
    return metrics.sumOrZero("tether_renders_total", "kind", "kustomize");
  }

  @Test
  @DisplayName("an overlay with a base, patches, a generator and images syncs as kustomize builds it; a patch change re-applies "
      + "only what it changes; a commit the overlay does not read is neither rendered nor applied")
  void overlaySyncsAsKustomizeBuildsIt(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeApp(setup, ns, 3);
      setup.manifests.write("docs/notes.md", "Notes\n");
      String commit = setup.manifests.commitAndPush("An overlay");
      setup.configure(config(ns, OVERLAY));
      setup.startAgent();

      SyncOutcome first = setup.awaitSync(commit);

      assertThat(first.phase()).as(first.message()).isEqualTo(Phase.SYNCED);
      Set<String> built = kustomizeBuild(setup);
      assertThat(built).hasSize(3).anyMatch(n -> n.startsWith("ConfigMap/prod-settings-"));
      Set<String> synced = first.objects().stream().map(o -> o.key().kind() + "/" + o.key().name())
          .collect(Collectors.toCollection(TreeSet::new));
      assertThat(synced).isEqualTo(built);
      assertThat(first.objects()).allSatisfy(o -> assertThat(o.file()).isEqualTo("overlays/prod/kustomize-build.yaml"));
      var deployment = client.apps().deployments().inNamespace(ns.name()).withName("prod-web").get();
      assertThat(deployment.getSpec().getReplicas()).as("strategic merge patch").isEqualTo(3);
      assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).as("images").isEqualTo("nginx:1.27");
      assertThat(deployment.getMetadata().getLabels()).containsEntry("app", "web").containsEntry("env", "prod");
      String generated = built.stream().filter(n -> n.startsWith("ConfigMap/")).findFirst().orElseThrow().substring("ConfigMap/".length());
      assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnvFrom().get(0).getConfigMapRef().getName())
          .as("the generated name reaches its references").isEqualTo(generated);
      assertThat(client.configMaps().inNamespace(ns.name()).withName(generated).get().getData()).containsEntry("LOG_LEVEL", "info");
      assertThat(client.services().inNamespace(ns.name()).withName("prod-web").get().getSpec().getPorts())
          .as("JSON 6902 patch").extracting(p -> p.getPort()).containsExactly(80, 9090);
      assertThat(renders(setup)).isEqualTo(1);

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      writeApp(setup, ns, 5);
      SyncOutcome patched = setup.awaitSync(setup.manifests.commitAndPush("Five replicas"));

      assertThat(patched.phase()).isEqualTo(Phase.SYNCED);
      assertThat(client.apps().deployments().inNamespace(ns.name()).withName("prod-web").get().getSpec().getReplicas()).isEqualTo(5);
      assertThat(audit.writesSince(mark, AGENT).stream().map(w -> w.path("objectRef").path("name").asText())
          .filter(name -> !name.startsWith("inventory-")).toList()).as("only the deployment is written").containsOnly("prod-web")
          .isNotEmpty();
      assertThat(renders(setup)).isEqualTo(2);

      long unrelated = audit.mark();
      String notes = setup.manifests.write("docs/notes.md", "More notes\n").commitAndPush("Docs only");
      SyncOutcome same = setup.awaitSync(notes);

      assertThat(same.phase()).isEqualTo(Phase.SYNCED);
      assertThat(audit.writesSince(unrelated, AGENT)).as("writes for a commit the overlay does not read").isEmpty();
      assertThat(renders(setup)).as("no render for a commit the overlay does not read").isEqualTo(2);
      PrometheusText metrics = PrometheusText.scrape(setup.tether.server().httpUrl() + "/metrics");
      assertThat(metrics.sum("tether_render_duration_seconds_count", "kind", "kustomize", "cache", "inputs"))
          .as("the commit the overlay does not read is answered from the cache").isGreaterThanOrEqualTo(1);
      assertThat(metrics.sum("tether_render_duration_seconds_count", "kind", "kustomize", "cache", "miss")).isEqualTo(2);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonNode source = setup.tether.api().get("/api/v1/agents/prod/gitops").get(0).get("source");
        assertThat(source.get("kind").asText()).isEqualTo("kustomize");
        assertThat(source.get("renders").asText()).isEqualTo("overlays/prod");
        assertThat(source.get("rendered_at").isTextual()).isTrue();
        assertThat(source.get("render_error").isNull()).isTrue();
      });
    }
  }

  @Test
  @DisplayName("a broken patch fails the sync with kustomize's message naming the file; nothing is applied or pruned")
  void renderErrorAppliesAndPrunesNothing(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeApp(setup, ns, 3);
      String commit = setup.manifests.commitAndPush("An overlay");
      setup.configure(config(ns, OVERLAY));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);

      setup.manifests.write("overlays/prod/replicas.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web\n"
          + "spec: {replicas: 9}\n").delete("base/service.yaml")
          .write("base/kustomization.yaml", "resources: [deployment.yaml]\nlabels: [{pairs: {app: web}, includeSelectors: true}]\n");
      SyncOutcome failed = setup.awaitSync(setup.manifests.commitAndPush("A patch that is not YAML"));

      assertThat(failed.phase()).isEqualTo(Phase.FAILED);
      assertThat(failed.message()).contains("nothing applied or pruned").contains("kustomize overlays/prod: ")
          .contains("unable to parse").contains("replicas.yaml").doesNotContain("render-");
      assertThat(client.services().inNamespace(ns.name()).withName("prod-web").get()).as("not pruned").isNotNull();
      assertThat(client.apps().deployments().inNamespace(ns.name()).withName("prod-web").get().getSpec().getReplicas()).isEqualTo(3);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(setup.tether.api().get("/api/v1/agents/prod/gitops")
          .get(0).at("/source/render_error").asText()).contains("replicas.yaml"));
    }
  }

  @Test
  @DisplayName("remote bases, Helm charts, exec and container functions, '..', absolute paths, links and cycles are refused by name")
  void everySafetyClassIsRefused(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) throws Exception {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      writeApp(setup, ns, 3);
      String commit = setup.manifests.commitAndPush("An overlay");
      setup.configure(config(ns, OVERLAY));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
      String good = "resources: [../../base]\nnamespace: " + ns + "\nnamePrefix: prod-\n";
      Map<String, String> refused = new java.util.LinkedHashMap<>();
      refused.put("resources: [../../base, 'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0']\n",
          "resources[1] 'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0' is a remote resource");
      refused.put(good + "helmCharts: [{name: redis, repo: 'https://charts.example.com', version: 1.0.0}]\n",
          "overlays/prod/kustomization.yaml: helmCharts: Tether does not inflate Helm charts inside kustomize");
      refused.put(good + "transformers: [fn.yaml]\n", "transformers[0] 'fn.yaml' declares an exec KRM function");
      refused.put(good + "generators: [gen.yaml]\n", "generators[0] 'gen.yaml' declares a container KRM function");
      refused.put("resources: [../../../outside]\n", "resources[0] '../../../outside' leaves the project");
      refused.put(good + "patches: [{path: /etc/hostname}]\n", "patches[0].path '/etc/hostname' is an absolute path");
      refused.put(good + "configMapGenerator: [{name: x, files: [linked.txt]}]\n", "'linked.txt' is a symbolic link");
      refused.put("resources: [../../base, ../staging]\n", "a cycle of kustomizations (overlays/prod -> overlays/staging -> overlays/prod)");
      refused.put("resources: [.]\n", "a cycle of kustomizations (overlays/prod -> overlays/prod)");

      setup.manifests.write("overlays/prod/fn.yaml", "apiVersion: example.com/v1\nkind: Setter\nmetadata:\n  name: s\n  annotations:\n"
              + "    config.kubernetes.io/function: |\n      exec: {path: /bin/sh}\n")
          .write("overlays/prod/gen.yaml", "apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n"
              + "    config.kubernetes.io/function: |\n      container: {image: example.com/gen:1}\n")
          .write("overlays/staging/kustomization.yaml", "resources: [../prod]\n");
      Files.createSymbolicLink(setup.manifests.workDir().resolve("overlays/prod/linked.txt"), Path.of("/etc/hostname"));
      for (Map.Entry<String, String> c : refused.entrySet()) {
        setup.manifests.write("overlays/prod/kustomization.yaml", c.getKey());
        long started = System.nanoTime();
        SyncOutcome outcome = setup.awaitSync(setup.manifests.commitAndPush("Refused: " + c.getValue()));

        assertThat(outcome.phase()).isEqualTo(Phase.FAILED);
        assertThat(outcome.message()).contains("kustomize overlays/prod: ").contains(c.getValue());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
      }
      assertThat(client.services().inNamespace(ns.name()).withName("prod-web").get()).as("nothing pruned").isNotNull();
    }
  }

  @Test
  @DisplayName("a raw entry whose default glob picks up a kustomization says which key renders it; paths[].exclude leaves it out")
  void rawEntryWithAKustomization(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests.write("app/kustomization.yaml", "resources: [settings.yaml]\n")
          .write("app/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n")
          .commitAndPush("An upstream directory with a kustomization");
      setup.configure(config(ns, ""));
      setup.startAgent();

      SyncOutcome failed = setup.awaitSync(commit);

      assertThat(failed.phase()).isEqualTo(Phase.FAILED);
      assertThat(failed.message()).contains("app/kustomization.yaml is a Kustomize file: render it with `kustomize: {path: app}`")
          .contains("paths[].exclude").doesNotContain("metadata.name");
      assertThat(client.configMaps().inNamespace(ns.name()).withName("settings").get()).isNull();

      setup.configure(config(ns, "      paths: [{glob: '**/*.yaml', exclude: ['**/kustomization.yaml']}]\n"));
      await().atMost(Duration.ofSeconds(60)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.phase() == Phase.SYNCED).orElse(false));
      assertThat(client.configMaps().inNamespace(ns.name()).withName("settings").get()).isNotNull();
      assertThat(setup.agent().gitops().outcome("team/app").get().objects()).singleElement()
          .satisfies(o -> assertThat(o.file()).isEqualTo("app/settings.yaml"));
    }
  }
}
