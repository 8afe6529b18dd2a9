package dev.tether.it.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.tether.common.TetherVersion;
import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.token.SecretToken;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart deploy/helm/tether-agent, rendered by Helm in-process: the API server accepts what it renders
 * (server-side dry run), and it renders the same objects as `tether agent manifests` for the same inputs.
 */
@WithKubernetes
class AgentHelmChartTest {
  private static final Path CHART = Path.of("..", "deploy", "helm", "tether-agent").toAbsolutePath().normalize();
  private static final String SERVER = "tether.example.com:8443";
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  @TempDir
  Path dir;

  private final String id = "hc" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36)
      .toLowerCase(Locale.ROOT);
  private final String fullName = "tether-agent-" + id;
  private final String agentNamespace = id + "-agent";
  private final List<String> namespaces = new ArrayList<>();
  private KubernetesClient admin;
  private String token;
  private Path tokenFile;
  private String caPem;
  private Path caFile;

  @BeforeEach
  void setUp(KubeControlPlane plane) throws Exception {
    assertThat(CHART.resolve("Chart.yaml")).exists();
    admin = plane.newAdminClient("default");
    token = SecretToken.generate(SecretToken.Kind.AGENT).reveal();
    tokenFile = Files.writeString(dir.resolve("agent.token"), token + "\n");
    caPem = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1)).certificatePem();
    caFile = Files.writeString(dir.resolve("ca.crt"), caPem);
  }

  @AfterEach
  void removeWhatTheTestMade() {
    namespaces.forEach(ns -> admin.namespaces().withName(ns).delete());
    admin.close();
  }

  @Test
  @DisplayName("cluster-wide: the chart renders what the CLI prints (but the Namespace), and the API server accepts it")
  void clusterWideMatchesTheCli(KubeControlPlane plane) {
    namespace(agentNamespace); // as helm install --create-namespace would
    String rendered = template(t -> t.set("server", SERVER).setFile("token.value", tokenFile).setFile("caCertificate", caFile));

    ProcessResult dryRun = serverDryRun(plane, rendered);
    String cli = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER, "--token-file", tokenFile.toString(),
        "--namespace", agentNamespace, "--ca-file", caFile.toString()).run().orThrow().stdout();

    assertThat(dryRun.stdout().lines()).hasSize(8).allSatisfy(line -> assertThat(line).endsWith("(server dry run)"));
    assertThat(admin.rbac().clusterRoles().withName(fullName).get()).as("a dry run creates nothing").isNull();
    assertSameObjects(rendered, cli);
    Deployment deployment = (Deployment) byKey(rendered, true).values().stream()
        .filter(Deployment.class::isInstance).findFirst().orElseThrow();
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .as("the chart's appVersion is Tether's version, so its default image is the CLI's")
        .isEqualTo("ghcr.io/tether-dev/tether:" + TetherVersion.get());
  }

  @Test
  @DisplayName("namespaced with impersonation: the chart renders what the CLI prints, and the API server accepts it")
  void namespacedMatchesTheCli(KubeControlPlane plane) {
    namespace(agentNamespace);
    String a = namespace(id + "-a");
    String b = namespace(id + "-b");
    Path values = writeValues("""
        rbac:
          namespaces: [%s, %s]
          allowImpersonation: true
        image:
          repository: registry.example.com/tether
          tag: "1.2.3"
        """.formatted(a, b));
    String rendered = template(t -> t.set("server", SERVER).setFile("token.value", tokenFile).withValuesFile(values));

    ProcessResult dryRun = serverDryRun(plane, rendered);
    String cli = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER, "--token-file", tokenFile.toString(),
        "--namespace", agentNamespace, "--namespaced", a + "," + b, "--allow-impersonation",
        "--image", "registry.example.com/tether:1.2.3").run().orThrow().stdout();

    assertThat(dryRun.stdout().lines()).hasSize(11).allSatisfy(line -> assertThat(line).endsWith("(server dry run)"));
    assertSameObjects(rendered, cli);
    assertThat(byKey(rendered, true).keySet()).contains("Role " + a + "/" + fullName, "Role " + b + "/" + fullName,
        "ClusterRole /" + fullName + "-impersonate");
  }

  @Test
  @DisplayName("replicas: 3 renders what --replicas 3 prints: three replicas rolled one by one, the Lease's Role in the "
      + "release namespace, and the Lease named after the install")
  void replicasMatchTheCli(KubeControlPlane plane) {
    namespace(agentNamespace);
    String rendered = template(t -> t.set("server", SERVER).setFile("token.value", tokenFile).set("replicas", 3));

    serverDryRun(plane, rendered);
    String cli = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER, "--token-file", tokenFile.toString(),
        "--namespace", agentNamespace, "--replicas", "3").run().orThrow().stdout();

    assertSameObjects(rendered, cli);
    Map<String, HasMetadata> objects = byKey(rendered, true);
    Deployment deployment = (Deployment) objects.get("Deployment " + agentNamespace + "/" + fullName);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSequence("--gitops-lease-name", fullName);
    io.fabric8.kubernetes.api.model.rbac.Role lease = (io.fabric8.kubernetes.api.model.rbac.Role)
        objects.get("Role " + agentNamespace + "/" + fullName + "-lease");
    assertThat(lease.getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
      assertThat(rule.getResources()).containsExactly("leases");
      assertThat(rule.getVerbs()).containsExactly("get", "create", "update");
    });
    assertThat(objects).containsKey("RoleBinding " + agentNamespace + "/" + fullName + "-lease");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile).set("replicas", 0)))
        .hasMessageContaining("replicas");
  }

  @Test
  @DisplayName("token.existingSecret: no Secret is rendered and the pod mounts the named one")
  void existingSecret(KubeControlPlane plane) {
    namespace(agentNamespace);
    String rendered = template(t -> t.set("server", SERVER).set("token.existingSecret", "agent-token")
        .set("token.existingSecretKey", "prod"));

    serverDryRun(plane, rendered);

    Map<String, HasMetadata> objects = byKey(rendered, true);
    assertThat(objects.keySet()).noneMatch(key -> key.startsWith("Secret "));
    Deployment deployment = (Deployment) objects.get("Deployment " + agentNamespace + "/" + fullName);
    Volume volume = deployment.getSpec().getTemplate().getSpec().getVolumes().get(0);
    assertThat(volume.getSecret().getSecretName()).isEqualTo("agent-token");
    assertThat(volume.getSecret().getItems()).singleElement()
        .satisfies(item -> assertThat(item.getKey() + "->" + item.getPath()).isEqualTo("prod->token"));
  }

  @Test
  @DisplayName("missing or bad values fail the render with a message saying what to set; the token is never echoed")
  void badValuesAreRefused() throws Exception {
    assertThatThrownBy(() -> template(t -> t.setFile("token.value", tokenFile)))
        .hasMessageContaining("server is required");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER)))
        .hasMessageContaining("the agent's token is required");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile)
        .set("token.existingSecret", "x"))).hasMessageContaining("not both");
    String truncated = token.substring(0, 30);
    Path badToken = Files.writeString(dir.resolve("bad.token"), truncated);
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", badToken)))
        .hasMessageContaining("token.value is not a Tether agent token")
        .hasMessageNotContaining(truncated);
    assertThatThrownBy(() -> template(t -> t.set("server", "https://tether.example.com").setFile("token.value", tokenFile)))
        .hasMessageContaining("server");
    Path badNamespace = writeValues("rbac:\n  namespaces: [apps, Web]\n");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile)
        .withValuesFile(badNamespace))).hasMessageContaining("/rbac/namespaces/1");
    Path misspelt = writeValues("rbac:\n  namespace: [apps]\n");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile)
        .withValuesFile(misspelt))).as("a misspelt key is an error, not ignored").hasMessageContaining("namespace");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile).set("name", "Prod")))
        .hasMessageContaining("name");
    Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> template(t -> t.set("server", SERVER).setFile("token.value", tokenFile)
        .setFile("caCertificate", key))).hasMessageContaining("caCertificate holds a private key");
  }

  @Test
  @DisplayName("helm lint --strict passes on the chart as shipped")
  void lint() {
    LintResult result = new Helm(CHART).lint().strict().call();

    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  private String template(UnaryOperator<TemplateCommand> values) {
    return values.apply(new Helm(CHART).template().withName(id).withNamespace(agentNamespace)).call();
  }

  private ProcessResult serverDryRun(KubeControlPlane plane, String yaml) {
    return plane.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-").stdin(yaml).run().orThrow();
  }

  /** Objects by kind, namespace and name; Helm's own labels are checked and dropped, so the rest can be compared. */
  private static Map<String, HasMetadata> byKey(String yaml, boolean fromHelm) {
    Object parsed = SERIALIZATION.unmarshal(yaml);
    List<?> objects = parsed instanceof List<?> list ? list : List.of(parsed);
    Map<String, HasMetadata> byKey = new TreeMap<>();
    for (Object o : objects) {
      HasMetadata object = (HasMetadata) o;
      if (fromHelm) {
        Map<String, String> labels = object.getMetadata().getLabels();
        assertThat(labels).containsEntry("app.kubernetes.io/managed-by", "Helm").containsKey("helm.sh/chart");
        labels.remove("app.kubernetes.io/managed-by");
        labels.remove("helm.sh/chart");
      }
      String namespace = object.getMetadata().getNamespace() == null ? "" : object.getMetadata().getNamespace();
      assertThat(byKey.put(object.getKind() + " " + namespace + "/" + object.getMetadata().getName(), object))
          .as("one object per kind, namespace and name").isNull();
    }
    return byKey;
  }

  private void assertSameObjects(String helmYaml, String cliYaml) {
    Map<String, HasMetadata> helm = byKey(helmYaml, true);
    Map<String, HasMetadata> cli = byKey(cliYaml, false);
    assertThat(cli.remove("Namespace /" + agentNamespace)).as("the CLI makes the agent's namespace").isNotNull();
    assertThat(helm.keySet()).containsExactlyElementsOf(cli.keySet());
    for (String key : cli.keySet()) {
      assertThat(SERIALIZATION.asYaml(helm.get(key))).as(key).isEqualTo(SERIALIZATION.asYaml(cli.get(key)));
    }
  }

  private Path writeValues(String yaml) {
    try {
      return Files.writeString(Files.createTempFile(dir, "values", ".yaml"), yaml);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String namespace(String name) {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    namespaces.add(name);
    return name;
  }
}
