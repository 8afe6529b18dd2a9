package dev.tether.cli.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.common.TetherVersion;
import dev.tether.common.tls.CertificateAuthority;
import dev.tether.common.token.SecretToken;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentInstallManifestsTest {
  @TempDir
  Path dir;

  private String token;
  private Path tokenFile;

  @BeforeEach
  void writeToken() throws Exception {
    token = SecretToken.generate(SecretToken.Kind.AGENT).reveal();
    tokenFile = Files.writeString(dir.resolve("prod.token"), token + "\n");
  }

  private AgentInstallManifests prod() {
    return new AgentInstallManifests().name("prod").server(InetSocketAddress.createUnresolved("tether.example.com", 8443))
        .tokenFile(tokenFile);
  }

  @Test
  void clusterWideInstallHasEveryObjectInApplyOrder() throws Exception {
    List<HasMetadata> objects = prod().objects();

    assertThat(objects).extracting(o -> o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
        .containsExactly(
            "Namespace null/tether-agent",
            "ServiceAccount tether-agent/tether-agent-prod",
            "Secret tether-agent/tether-agent-prod-token",
            "ClusterRole null/tether-agent-prod",
            "ClusterRoleBinding null/tether-agent-prod",
            "Role tether-agent/tether-agent-prod-lease",
            "RoleBinding tether-agent/tether-agent-prod-lease",
            "Deployment tether-agent/tether-agent-prod");
    ClusterRole role = (ClusterRole) objects.get(3);
    assertThat(role.getRules()).isEqualTo(AgentRbac.EVERYTHING);
    ClusterRoleBinding binding = (ClusterRoleBinding) objects.get(4);
    assertThat(binding.getRoleRef().getName()).isEqualTo("tether-agent-prod");
    assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
      assertThat(s.getKind()).isEqualTo("ServiceAccount");
      assertThat(s.getName()).isEqualTo("tether-agent-prod");
      assertThat(s.getNamespace()).isEqualTo("tether-agent");
    });
    Secret secret = (Secret) objects.get(2);
    assertThat(new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8)).isEqualTo(token);
  }

  @Test
  void deploymentRunsTheAgentWithItsTokenAsNonRoot() throws Exception {
    Deployment deployment = (Deployment) prod().objects().get(7);

    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container agent = pod.getContainers().get(0);
    assertThat(agent.getImage()).isEqualTo("ghcr.io/tether-dev/tether:" + TetherVersion.get());
    assertThat(agent.getArgs()).containsExactly("agent", "--server", "tether.example.com:8443",
        "--token-file", "/etc/tether/token/token", "--metrics-address", "0.0.0.0:8080", "--gitops-lease-name", "tether-agent-prod");
    assertThat(agent.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    assertThat(agent.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(agent.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/port", "8080");
    assertThat(agent.getEnv()).extracting(e -> e.getName() + "=" + (e.getValueFrom() == null ? e.getValue()
        : e.getValueFrom().getFieldRef().getFieldPath()))
        .contains("POD_NAME=metadata.name", "POD_NAMESPACE=metadata.namespace");
    assertThat(agent.getEnv()).filteredOn(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).extracting(e -> e.getValue())
        .containsExactly(AgentJvmOptions.javaToolOptions());
    assertThat(agent.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(agent.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(agent.getResources().getLimits()).containsKey("memory");
    assertThat(agent.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getServiceAccountName()).isEqualTo("tether-agent-prod");
    assertThat(pod.getVolumes()).extracting(v -> v.getName()).containsExactly("token", "tmp");
    assertThat(pod.getVolumes().get(0).getSecret().getSecretName()).isEqualTo("tether-agent-prod-token");
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
  }

  @Test
  void replicasShareALeaseInTheAgentNamespaceThatOnlyItsRoleMayTouch() throws Exception {
    List<HasMetadata> objects = prod().namespace("agents").namespaced(List.of("apps")).replicas(3).objects();

    Deployment deployment = (Deployment) objects.get(objects.size() - 1);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSequence("--gitops-lease-name", "tether-agent-prod");
    Role lease = objects.stream().filter(Role.class::isInstance).map(Role.class::cast)
        .filter(r -> r.getMetadata().getName().equals("tether-agent-prod-lease")).findFirst().orElseThrow();
    assertThat(lease.getMetadata().getNamespace()).isEqualTo("agents");
    assertThat(lease.getRules()).singleElement().satisfies(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
      assertThat(rule.getResources()).containsExactly("leases");
      assertThat(rule.getVerbs()).containsExactly("get", "create", "update");
    });
    assertThat(objects).filteredOn(RoleBinding.class::isInstance).map(o -> (RoleBinding) o)
        .filteredOn(b -> b.getMetadata().getName().equals("tether-agent-prod-lease")).singleElement().satisfies(b -> {
          assertThat(b.getMetadata().getNamespace()).isEqualTo("agents");
          assertThat(b.getRoleRef().getName()).isEqualTo("tether-agent-prod-lease");
          assertThat(b.getSubjects()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("tether-agent-prod"));
        });
    assertThatThrownBy(() -> prod().replicas(0).objects()).hasMessageContaining("--replicas must be 1 or more");
  }

  @Test
  void namespacedInstallHasRolesOnlyInTheListedNamespaces() throws Exception {
    List<HasMetadata> objects = prod().namespace("agents").namespaced(List.of("apps", "web")).objects();

    assertThat(objects).extracting(o -> o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName())
        .containsExactly(
            "Namespace null/agents",
            "ServiceAccount agents/tether-agent-prod",
            "Secret agents/tether-agent-prod-token",
            "Role apps/tether-agent-prod",
            "Role web/tether-agent-prod",
            "RoleBinding apps/tether-agent-prod",
            "RoleBinding web/tether-agent-prod",
            "Role agents/tether-agent-prod-lease",
            "RoleBinding agents/tether-agent-prod-lease",
            "Deployment agents/tether-agent-prod");
    assertThat(objects).filteredOn(Role.class::isInstance).filteredOn(o -> !o.getMetadata().getName().endsWith("-lease"))
        .extracting(o -> ((Role) o).getRules()).containsOnly(AgentRbac.EVERYTHING_IN_NAMESPACE);
    assertThat(objects).filteredOn(RoleBinding.class::isInstance).allSatisfy(o -> {
      RoleBinding binding = (RoleBinding) o;
      assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
      assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getNamespace()).isEqualTo("agents"));
    });
  }

  @Test
  void impersonationIsAnOptInClusterRoleInNamespacedMode() throws Exception {
    List<HasMetadata> objects = prod().namespaced(List.of("apps")).allowImpersonation(true).objects();

    assertThat(objects).filteredOn(ClusterRole.class::isInstance).singleElement().satisfies(o -> {
      assertThat(o.getMetadata().getName()).isEqualTo("tether-agent-prod-impersonate");
      assertThat(((ClusterRole) o).getRules()).isEqualTo(AgentRbac.IMPERSONATION);
    });
    assertThat(objects).filteredOn(ClusterRoleBinding.class::isInstance).extracting(o -> o.getMetadata().getName())
        .containsExactly("tether-agent-prod-impersonate");
  }

  @Test
  void caFileGoesIntoAConfigMapMountedForTheAgent() throws Exception {
    String pem = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1)).certificatePem();
    Path ca = Files.writeString(dir.resolve("ca.crt"), pem);

    List<HasMetadata> objects = prod().caFile(ca).image("registry.example.com/tether:1.2.3").objects();

    ConfigMap configMap = (ConfigMap) objects.stream().filter(ConfigMap.class::isInstance).findFirst().orElseThrow();
    assertThat(configMap.getMetadata().getName()).isEqualTo("tether-agent-prod-ca");
    assertThat(configMap.getData()).containsExactly(java.util.Map.entry("ca.crt", pem));
    Deployment deployment = (Deployment) objects.get(objects.size() - 1);
    Container agent = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(agent.getArgs()).containsSubsequence("--ca-file", "/etc/tether/ca/ca.crt");
    assertThat(agent.getImage()).isEqualTo("registry.example.com/tether:1.2.3");
    assertThat(agent.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/etc/tether/ca");
  }

  @Test
  void yamlReadsBackAsTheSameObjectsAndHoldsTheTokenOnlyInTheSecret() throws Exception {
    AgentInstallManifests manifests = prod().namespaced(List.of("apps"));

    String yaml = manifests.yaml();

    assertThat(yaml).doesNotContain(token);
    String encoded = Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    assertThat(yaml.split(java.util.regex.Pattern.quote(encoded), -1)).hasSize(2);
    Object parsed = new KubernetesSerialization().unmarshal(yaml);
    assertThat(parsed).isInstanceOf(List.class);
    assertThat((List<?>) parsed).isEqualTo(manifests.objects());
  }

  @Test
  void badNamesAreRefusedWithTheRule() {
    assertThatThrownBy(() -> prod().name("Prod_1").objects()).isInstanceOf(InstallOptionException.class)
        .hasMessage("--name 'Prod_1' is not a valid name: use at most 63 lower-case letters, digits and '-', "
            + "starting and ending with a letter or digit");
    assertThatThrownBy(() -> prod().name(null).objects()).hasMessageStartingWith("--name is missing");
    assertThatThrownBy(() -> prod().name("a".repeat(64)).objects()).hasMessageContaining("is not a valid name");
    assertThatThrownBy(() -> prod().namespace("-x").objects()).hasMessageStartingWith("--namespace '-x' is not a valid name");
  }

  @Test
  void namespacedListWithInvalidNamesIsRefused() {
    assertThatThrownBy(() -> prod().namespaced(List.of("apps", "Web")).objects())
        .hasMessageStartingWith("--namespaced lists 'Web', which is not a valid namespace name");
    assertThatThrownBy(() -> prod().namespaced(List.of("apps", "")).objects())
        .hasMessageStartingWith("--namespaced has an empty entry");
    assertThatThrownBy(() -> prod().namespaced(List.of("apps", "apps")).objects())
        .hasMessage("--namespaced lists 'apps' twice");
  }

  @Test
  void tokenFileProblemsAreNamedWithoutShowingTheFile() throws Exception {
    Path missing = dir.resolve("missing.token");
    assertThatThrownBy(() -> prod().tokenFile(missing).objects())
        .hasMessage("cannot read the token file " + missing + ": it does not exist");

    Path empty = Files.writeString(dir.resolve("empty.token"), "\n");
    assertThatThrownBy(() -> prod().tokenFile(empty).objects())
        .hasMessageStartingWith("the token file " + empty + " is empty");

    String accessToken = SecretToken.generate(SecretToken.Kind.ACCESS).reveal();
    Path wrongKind = Files.writeString(dir.resolve("access.token"), accessToken);
    assertThatThrownBy(() -> prod().tokenFile(wrongKind).objects())
        .hasMessageContaining("does not hold an agent token")
        .hasMessageNotContaining(accessToken);

    assertThatThrownBy(() -> prod().tokenFile(null).objects()).hasMessageStartingWith("--token-file is missing");
  }

  @Test
  void serverMustBeHostAndPortNotAUrl() {
    assertThatThrownBy(() -> prod().server(InetSocketAddress.createUnresolved("https://tether.example.com", 8443)).objects())
        .hasMessageContaining("is not a host name or address")
        .hasMessageContaining("no https://");
    assertThatThrownBy(() -> prod().server(null).objects()).hasMessageStartingWith("--server is missing");
  }

  @Test
  void ipv6ServerIsBracketed() throws Exception {
    Deployment deployment = (Deployment) prod().server(InetSocketAddress.createUnresolved("fd00::1", 8443)).objects().get(7);

    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .containsSubsequence("--server", "[fd00::1]:8443");
  }

  @Test
  void caFileMustBeAPemCertificateWithoutAKey() throws Exception {
    CertificateAuthority.Issued issued = CertificateAuthority.create("tether-test-ca", Duration.ofDays(1))
        .issue(List.of("localhost"), Duration.ofDays(1));
    Path withKey = Files.writeString(dir.resolve("bundle.pem"), issued.certificatePem() + issued.privateKeyPem());
    assertThatThrownBy(() -> prod().caFile(withKey).objects()).hasMessageContaining("holds a private key");

    Path notPem = Files.writeString(dir.resolve("ca.txt"), "hello");
    assertThatThrownBy(() -> prod().caFile(notPem).objects()).hasMessageContaining("holds no PEM certificate");

    Path missing = dir.resolve("nope.crt");
    assertThatThrownBy(() -> prod().caFile(missing).objects()).hasMessage("cannot read the CA file " + missing + ": it does not exist");
  }

  @Test
  void imageWithSpacesIsRefused() {
    assertThatThrownBy(() -> prod().image("my image").objects()).hasMessageStartingWith("--image must be an image reference");
  }

  @Test
  void theHelmChartRunsTheAgentWithTheSameJvmOptions() throws Exception {
    // Surefire runs tests in the module's folder; the chart is at the top of the repository.
    String values = Files.readString(Path.of("..", "deploy", "helm", "tether-agent", "values.yaml"), StandardCharsets.UTF_8);
    assertThat(values).contains("jvmOptions: \"" + AgentJvmOptions.javaToolOptions() + "\"");
  }
}
