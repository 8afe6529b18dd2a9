package dev.tether.it.install;

import static dev.tether.it.install.ServiceAccountAccess.can;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.TetherVersion;
import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.token.SecretToken;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `tether agent manifests`, run as the real jar, piped to the real kubectl against the real API server;
 * SubjectAccessReviews then prove what the agent's service account may do and what it may not.
 */
@WithKubernetes
class AgentManifestsTest {
  private static final String SERVER = "tether.example.com:8443";

  @TempDir
  Path dir;

  private final String id = "mf" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36)
      .toLowerCase(Locale.ROOT);
  private final String fullName = "tether-agent-" + id;
  private final String agentNamespace = id + "-agent";
  private final List<String> namespaces = new ArrayList<>();
  private KubernetesClient admin;
  private String token;
  private Path tokenFile;

  @BeforeEach
  void setUp(KubeControlPlane plane) throws Exception {
    admin = plane.newAdminClient("default");
    token = SecretToken.generate(SecretToken.Kind.AGENT).reveal();
    tokenFile = Files.writeString(dir.resolve("agent.token"), token + "\n");
    namespaces.add(agentNamespace);
  }

  @AfterEach
  void removeWhatTheTestMade() {
    admin.rbac().clusterRoleBindings().withLabel("app.kubernetes.io/instance", id).delete();
    admin.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", id).delete();
    namespaces.forEach(ns -> admin.namespaces().withName(ns).delete());
    admin.close();
  }

  @Test
  @DisplayName("cluster-wide: manifests | kubectl apply -f - make an agent whose service account may do everything")
  void clusterWide(KubeControlPlane plane) throws Exception {
    String caPem = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1)).certificatePem();
    Path caFile = Files.writeString(dir.resolve("ca.crt"), caPem);

    ProcessResult manifests = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER,
        "--token-file", tokenFile.toString(), "--namespace", agentNamespace, "--ca-file", caFile.toString()).run().orThrow();
    ProcessResult applied = plane.kubectl("apply", "-f", "-").stdin(manifests.stdout()).run().orThrow();

    assertThat(manifests.stdout()).doesNotContain(token);
    assertThat(manifests.stderr()).doesNotContain(token);
    assertThat(applied.stdout().lines()).containsExactly(
        "namespace/" + agentNamespace + " created",
        "serviceaccount/" + fullName + " created",
        "secret/" + fullName + "-token created",
        "configmap/" + fullName + "-ca created",
        "clusterrole.rbac.authorization.k8s.io/" + fullName + " created",
        "clusterrolebinding.rbac.authorization.k8s.io/" + fullName + " created",
        "role.rbac.authorization.k8s.io/" + fullName + "-lease created",
        "rolebinding.rbac.authorization.k8s.io/" + fullName + "-lease created",
        "deployment.apps/" + fullName + " created");
    String stored = admin.secrets().inNamespace(agentNamespace).withName(fullName + "-token").get().getData().get("token");
    assertThat(new String(Base64.getDecoder().decode(stored), StandardCharsets.UTF_8)).isEqualTo(token);
    assertThat(admin.configMaps().inNamespace(agentNamespace).withName(fullName + "-ca").get().getData())
        .containsEntry("ca.crt", caPem);
    Deployment deployment = admin.apps().deployments().inNamespace(agentNamespace).withName(fullName).get();
    Container agent = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(agent.getImage()).isEqualTo("ghcr.io/tether-dev/tether:" + TetherVersion.get());
    assertThat(agent.getArgs()).containsExactly("agent", "--server", SERVER, "--token-file", "/etc/tether/token/token",
        "--metrics-address", "0.0.0.0:8080", "--gitops-lease-name", fullName, "--ca-file", "/etc/tether/ca/ca.crt");
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo(fullName);

    ServiceAccountAccess access = new ServiceAccountAccess(admin, agentNamespace, fullName);
    assertThat(access.bindings()).containsExactlyInAnyOrder("ClusterRoleBinding " + fullName + " -> ClusterRole/" + fullName,
        "RoleBinding " + agentNamespace + "/" + fullName + "-lease -> Role/" + fullName + "-lease");
    String anywhere = id + "-anywhere";
    List<ServiceAccountAccess.Request> everything = List.of(
        can("create", "deployments.apps", "default"), can("patch", "deployments.apps", anywhere),
        can("delete", "deployments.apps", "kube-system"),
        can("create", "configmaps", anywhere), can("patch", "configmaps", "default"), can("delete", "configmaps", anywhere),
        can("create", "widgets.example.com", anywhere), can("delete", "widgets.example.com", anywhere),
        can("list", "pods"), can("watch", "deployments.apps"), can("list", "secrets"),
        can("create", "namespaces"), can("delete", "namespaces"), can("get", "nodes"),
        can("create", "clusterroles.rbac.authorization.k8s.io"),
        can("create", "customresourcedefinitions.apiextensions.k8s.io"),
        can("impersonate", "users"), can("impersonate", "groups"), can("impersonate", "serviceaccounts", "kube-system"),
        can("impersonate", "uids.authentication.k8s.io"), can("impersonate", "userextras.authentication.k8s.io/scopes"),
        can("get", "/metrics"));
    access.assertAnswers(everything, List.of());
    // The same questions about another service account of that namespace: the answers come from the install.
    new ServiceAccountAccess(admin, agentNamespace, "default").assertAnswers(List.of(), everything);

    try (KubernetesClient asAgent = clientFor(plane, agentNamespace, fullName)) {
      assertThat(asAgent.namespaces().list().getItems()).extracting(n -> n.getMetadata().getName()).contains(agentNamespace);
    }
  }

  @Test
  @DisplayName("--namespaced a,b: the agent may do everything in a and b, nothing elsewhere, and may not impersonate")
  void namespaced(KubeControlPlane plane) {
    String a = namespace("a");
    String b = namespace("b");
    String c = namespace("c");

    ProcessResult manifests = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER,
        "--token-file", tokenFile.toString(), "--namespace", agentNamespace, "--namespaced", a + "," + b).run().orThrow();
    ProcessResult applied = plane.kubectl("apply", "-f", "-").stdin(manifests.stdout()).run().orThrow();

    assertThat(applied.stdout().lines()).containsExactly(
        "namespace/" + agentNamespace + " created",
        "serviceaccount/" + fullName + " created",
        "secret/" + fullName + "-token created",
        "role.rbac.authorization.k8s.io/" + fullName + " created",
        "role.rbac.authorization.k8s.io/" + fullName + " created",
        "rolebinding.rbac.authorization.k8s.io/" + fullName + " created",
        "rolebinding.rbac.authorization.k8s.io/" + fullName + " created",
        "role.rbac.authorization.k8s.io/" + fullName + "-lease created",
        "rolebinding.rbac.authorization.k8s.io/" + fullName + "-lease created",
        "deployment.apps/" + fullName + " created");
    ServiceAccountAccess access = new ServiceAccountAccess(admin, agentNamespace, fullName);
    assertThat(access.bindings()).containsExactlyInAnyOrder(
        "RoleBinding " + a + "/" + fullName + " -> Role/" + fullName,
        "RoleBinding " + b + "/" + fullName + " -> Role/" + fullName,
        "RoleBinding " + agentNamespace + "/" + fullName + "-lease -> Role/" + fullName + "-lease");
    List<ServiceAccountAccess.Request> allowed = new ArrayList<>();
    List<ServiceAccountAccess.Request> denied = new ArrayList<>();
    for (String ns : List.of(a, b)) {
      allowed.addAll(everythingIn(ns));
      // RBAC counts a namespace's own object and its service accounts as inside it.
      allowed.addAll(List.of(can("delete", "namespaces", ns), can("impersonate", "serviceaccounts", ns)));
    }
    for (String ns : List.of(c, agentNamespace, "default", "kube-system")) {
      denied.addAll(everythingIn(ns));
      denied.add(can("impersonate", "serviceaccounts", ns));
    }
    // The Lease that elects the replica running GitOps: get, create, update in the agent's namespace, nothing more.
    allowed.addAll(List.of(can("get", "leases.coordination.k8s.io", agentNamespace),
        can("create", "leases.coordination.k8s.io", agentNamespace), can("update", "leases.coordination.k8s.io", agentNamespace)));
    denied.addAll(List.of(can("delete", "leases.coordination.k8s.io", agentNamespace),
        can("update", "leases.coordination.k8s.io", c), can("list", "leases.coordination.k8s.io")));
    denied.addAll(List.of(
        can("list", "pods"), can("watch", "configmaps"), can("list", "deployments.apps"), can("list", "secrets"),
        can("create", "namespaces"), can("list", "namespaces"), can("delete", "namespaces", c),
        can("get", "nodes"), can("list", "nodes"),
        can("create", "clusterroles.rbac.authorization.k8s.io"), can("create", "clusterrolebindings.rbac.authorization.k8s.io"),
        can("create", "customresourcedefinitions.apiextensions.k8s.io"), can("list", "widgets.example.com"),
        can("impersonate", "users"), can("impersonate", "groups"), can("impersonate", "uids.authentication.k8s.io"),
        can("impersonate", "userextras.authentication.k8s.io/scopes"),
        can("get", "/metrics")));
    access.assertAnswers(allowed, denied);

    try (KubernetesClient asAgent = clientFor(plane, agentNamespace, fullName)) {
      assertThat(asAgent.configMaps().inNamespace(a).list().getItems()).isNotNull();
      assertThatThrownBy(() -> asAgent.configMaps().inNamespace(c).list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    }
  }

  @Test
  @DisplayName("--namespaced a --allow-impersonation: a ClusterRole to impersonate anyone, and still nothing else outside a")
  void namespacedWithImpersonation(KubeControlPlane plane) {
    String a = namespace("a");
    String c = namespace("c");

    ProcessResult manifests = TetherJar.run("agent", "manifests", "--name", id, "--server", SERVER,
        "--token-file", tokenFile.toString(), "--namespace", agentNamespace, "--namespaced", a, "--allow-impersonation")
        .run().orThrow();
    plane.kubectl("apply", "-f", "-").stdin(manifests.stdout()).run().orThrow();

    ServiceAccountAccess access = new ServiceAccountAccess(admin, agentNamespace, fullName);
    assertThat(access.bindings()).containsExactlyInAnyOrder(
        "ClusterRoleBinding " + fullName + "-impersonate -> ClusterRole/" + fullName + "-impersonate",
        "RoleBinding " + a + "/" + fullName + " -> Role/" + fullName,
        "RoleBinding " + agentNamespace + "/" + fullName + "-lease -> Role/" + fullName + "-lease");
    List<ServiceAccountAccess.Request> allowed = new ArrayList<>(everythingIn(a));
    allowed.addAll(List.of(can("impersonate", "users"), can("impersonate", "groups"),
        can("impersonate", "serviceaccounts", c), can("impersonate", "uids.authentication.k8s.io"),
        can("impersonate", "userextras.authentication.k8s.io/scopes"),
        can("impersonate", "userextras.authentication.k8s.io/tether.dev-anything")));
    List<ServiceAccountAccess.Request> denied = new ArrayList<>(everythingIn(c));
    denied.addAll(List.of(can("list", "pods"), can("create", "namespaces"), can("get", "nodes"),
        can("create", "clusterroles.rbac.authorization.k8s.io"), can("get", "users"), can("create", "groups"),
        can("create", "tokenreviews.authentication.k8s.io"), can("get", "/metrics")));
    access.assertAnswers(allowed, denied);
  }

  private static List<ServiceAccountAccess.Request> everythingIn(String ns) {
    return List.of(
        can("create", "deployments.apps", ns), can("patch", "deployments.apps", ns), can("delete", "deployments.apps", ns),
        can("create", "configmaps", ns), can("patch", "configmaps", ns), can("delete", "configmaps", ns),
        can("list", "configmaps", ns), can("watch", "configmaps", ns), can("get", "secrets", ns),
        can("create", "widgets.example.com", ns), can("delete", "widgets.example.com", ns),
        can("create", "rolebindings.rbac.authorization.k8s.io", ns));
  }

  /** A namespace of this test, made now and deleted after it. */
  private String namespace(String suffix) {
    String name = id + "-" + suffix;
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    namespaces.add(name);
    return name;
  }

  /** A client that authenticates as the service account, with a token the API server issues for it. */
  private KubernetesClient clientFor(KubeControlPlane plane, String namespace, String serviceAccount) {
    String saToken = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus().getToken();
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
        .withMasterUrl(plane.url()).withOauthToken(saToken).withCaCertFile(plane.caFile().toString())
        .withRequestRetryBackoffLimit(0).build()).build();
  }
}
