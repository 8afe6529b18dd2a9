package dev.tether.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Proves the test control plane is a real Kubernetes API server with real semantics. */
@WithKubernetes
class ControlPlaneSmokeTest {

  private static ConfigMap configMap(String name, Map<String, String> data) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().withData(data).build();
  }

  @Test
  @DisplayName("server-side apply through fabric8 creates the object and records the field manager")
  void serverSideApplyRecordsTheFieldManager(KubernetesClient client, TestNamespace ns) {
    client.configMaps().resource(configMap("settings", Map.of("color", "blue"))).fieldManager("alice").serverSideApply();

    ConfigMap stored = client.configMaps().withName("settings").get();
    assertThat(stored.getMetadata().getNamespace()).isEqualTo(ns.name());
    assertThat(stored.getData()).containsEntry("color", "blue");
    assertThat(stored.getMetadata().getManagedFields())
        .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", "Apply"));
  }

  @Test
  @DisplayName("SSA conflict: a second field manager changing the same field gets HTTP 409, and wins only with force")
  void secondFieldManagerGetsConflict(KubernetesClient client) {
    client.configMaps().resource(configMap("settings", Map.of("color", "blue"))).fieldManager("alice").serverSideApply();

    assertThatThrownBy(() -> client.configMaps().resource(configMap("settings", Map.of("color", "red")))
        .fieldManager("bob").serverSideApply())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(e.getMessage()).contains("conflict").contains("alice").contains(".data.color");
        });
    assertThat(client.configMaps().withName("settings").get().getData()).containsEntry("color", "blue");

    client.configMaps().resource(configMap("settings", Map.of("color", "red"))).fieldManager("bob")
        .forceConflicts().serverSideApply();
    ConfigMap stored = client.configMaps().withName("settings").get();
    assertThat(stored.getData()).containsEntry("color", "red");
    assertThat(stored.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager).containsExactly("bob");
  }

  @Test
  @DisplayName("RBAC is on and service-account tokens are signed: an unbound account is forbidden until bound")
  void rbacAndServiceAccountTokensAreReal(KubernetesClient client, TestNamespace ns, KubeControlPlane plane) {
    client.serviceAccounts().resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
        .withNewMetadata().withName("reader").endMetadata().build()).create();
    String token = client.serviceAccounts().withName("reader")
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(600L).endSpec().build())
        .getStatus().getToken();

    try (KubernetesClient asReader = new KubernetesClientBuilder().withConfig(
        new io.fabric8.kubernetes.client.ConfigBuilder(plane.adminConfig(ns.name())).withOauthToken(token).build()).build()) {
      assertThatThrownBy(() -> asReader.configMaps().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
            assertThat(e.getCode()).isEqualTo(403);
            assertThat(e.getMessage()).contains("system:serviceaccount:" + ns.name() + ":reader");
          });

      client.rbac().roles().resource(new RoleBuilder().withNewMetadata().withName("read-config").endMetadata()
          .addNewRule().withApiGroups("").withResources("configmaps").withVerbs("list").endRule().build()).create();
      client.rbac().roleBindings().resource(new RoleBindingBuilder().withNewMetadata().withName("reader")
          .endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "Role", "read-config")
          .addNewSubject().withKind("ServiceAccount").withName("reader").withNamespace(ns.name()).endSubject()
          .build()).create();

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(asReader.configMaps().list().getItems()).isNotNull());
    }
  }

  @Test
  @DisplayName("the controller manager deletes namespaces and creates default service accounts")
  void controllerManagerWorks(KubernetesClient client) {
    String name = "scratch-" + System.nanoTime();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    await().atMost(Duration.ofSeconds(20))
        .until(() -> client.serviceAccounts().inNamespace(name).withName("default").get() != null);
    client.configMaps().inNamespace(name).resource(configMap("doomed", Map.of("a", "b"))).create();

    client.namespaces().withName(name).delete();

    await().atMost(Duration.ofSeconds(30)).until(() -> client.namespaces().withName(name).get() == null);
  }
}
