package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Lists compared as server-side apply merges them, on live objects in the form the API server returns
 * them: defaults filled in, another manager's container injected, managedFields of the last apply.
 */
class FieldComparisonListKeysTest {
  private static final String MANAGER = "tether";

  private static Map<String, Object> json(String text) {
    try {
      return KubeApi.JSON.readValue(text, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> live(String file) {
    try (InputStream in = FieldComparisonListKeysTest.class.getResourceAsStream("/live/" + file)) {
      return KubeApi.JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The Deployment as Git has it; {@code containers} is the JSON of its containers. */
  private static Map<String, Object> deployment(String containers) {
    return json("""
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "shop", "annotations": {"config.k8s.io/owning-inventory": "prod-team.app"}},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
          "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": %s}}}}
        """.formatted(containers));
  }

  private static final String WEB = """
      [{"name": "web", "image": "registry.example/web:3.1", "env": [{"name": "MODE", "value": "prod"}],
        "ports": [{"name": "http", "containerPort": 8080}]}]""";

  private static Map<String, Object> service(String ports) {
    return json("""
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "web", "namespace": "shop", "annotations": {"config.k8s.io/owning-inventory": "prod-team.app"}},
         "spec": {"selector": {"app": "web"}, "ports": %s}}
        """.formatted(ports));
  }

  private static final String PORTS = """
      [{"name": "http", "port": 80}, {"name": "metrics", "port": 9090, "targetPort": "metrics"}]""";

  @Test
  void containersMatchByNameWhenTheApiServerOrAnotherManagerAddsOne() {
    // The live Deployment has an injected "proxy" container first, and defaults in "web" (imagePullPolicy, protocol, …).
    assertThat(FieldComparison.firstDifference(deployment(WEB), live("deployment.live.json"), MANAGER)).isEmpty();
  }

  @Test
  void aChangedContainerFieldIsFoundByTheContainersName() {
    String changed = WEB.replace("web:3.1", "web:3.2");
    assertThat(FieldComparison.firstDifference(deployment(changed), live("deployment.live.json"), MANAGER))
        .contains(".spec.template.spec.containers[name=web].image");
  }

  @Test
  void anEnvVariableAddedInGitIsADifference() {
    String more = WEB.replace("{\"name\": \"MODE\", \"value\": \"prod\"}", "{\"name\": \"MODE\", \"value\": \"prod\"}, {\"name\": \"LOG\", \"value\": \"debug\"}");
    assertThat(FieldComparison.firstDifference(deployment(more), live("deployment.live.json"), MANAGER))
        .contains(".spec.template.spec.containers[name=web].env[name=LOG]");
  }

  @Test
  void anEnvVariableRemovedFromGitIsADifferenceThroughTheManagedFields() {
    String fewer = WEB.replace("\"env\": [{\"name\": \"MODE\", \"value\": \"prod\"}],", "");
    assertThat(FieldComparison.firstDifference(deployment(fewer), live("deployment.live.json"))).as("every field Git sets is there").isEmpty();
    assertThat(FieldComparison.firstDifference(deployment(fewer), live("deployment.live.json"), MANAGER))
        .hasValueSatisfying(path -> assertThat(path).isEqualTo(".spec.template.spec.containers[{\"name\":\"web\"}].env (set before, no longer in Git)"));
  }

  @Test
  void anotherManagersContainerIsNotOursToRemove() {
    // "proxy" is owned by mesh-injector: Git not having it is no difference for tether's apply.
    assertThat(FieldComparison.firstDifference(deployment(WEB), live("deployment.live.json"), "mesh-injector"))
        .as("as mesh-injector sees it, its Update is not an apply").isEmpty();
  }

  @Test
  void containerPortsMatchByPortAndDefaultedProtocol() {
    String udp = WEB.replace("\"containerPort\": 8080}", "\"containerPort\": 8080, \"protocol\": \"UDP\"}");
    assertThat(FieldComparison.firstDifference(deployment(udp), live("deployment.live.json"), MANAGER))
        .contains(".spec.template.spec.containers[name=web].ports[containerPort=8080,protocol=UDP]");
  }

  @Test
  void serviceWithDefaultedProtocolAndTargetPortIsUnchanged() {
    assertThat(FieldComparison.firstDifference(service(PORTS), live("service.live.json"), MANAGER)).isEmpty();
  }

  @Test
  void serviceWithPortsInAnotherOrderIsUnchanged() {
    String reordered = "[{\"name\": \"metrics\", \"port\": 9090, \"targetPort\": \"metrics\"}, {\"name\": \"http\", \"port\": 80}]";
    assertThat(FieldComparison.firstDifference(service(reordered), live("service.live.json"), MANAGER)).isEmpty();
  }

  @Test
  void aServicePortRemovedFromGitIsADifference() {
    assertThat(FieldComparison.firstDifference(service("[{\"name\": \"http\", \"port\": 80}]"), live("service.live.json"), MANAGER))
        .contains(".spec.ports[{\"port\":9090,\"protocol\":\"TCP\"}] (set before, no longer in Git)");
  }

  @Test
  void aChangedTargetPortIsADifference() {
    String changed = PORTS.replace("\"targetPort\": \"metrics\"", "\"targetPort\": 9091");
    assertThat(FieldComparison.firstDifference(service(changed), live("service.live.json"), MANAGER))
        .contains(".spec.ports[port=9090,protocol=TCP].targetPort");
  }

  @Test
  void listsWithoutMergeKeysStayAtomic() {
    Map<String, Object> desired = Map.of("spec", Map.of("args", List.of("a", "b")));
    assertThat(FieldComparison.firstDifference(desired, Map.of("spec", Map.of("args", List.of("a", "b", "c"))))).contains(".spec.args");
    assertThat(FieldComparison.mergeKeys(".spec.ingress[0].ports", List.of(Map.of("port", 80)))).as("NetworkPolicy ports").isEmpty();
    assertThat(FieldComparison.mergeKeys(".spec.ports", List.of(Map.of("port", 80)))).containsExactly("port", "protocol");
    assertThat(FieldComparison.mergeKeys(".spec.containers[name=a].ports", List.of(Map.of("containerPort", 80))))
        .containsExactly("containerPort", "protocol");
  }

  @Test
  void aSecretsStringDataOwnedAsAppliedIsNoDifference() {
    Map<String, Object> desired = json("""
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop",
          "annotations": {"config.k8s.io/owning-inventory": "prod-team.app"}},
         "stringData": {"username": "app", "password": "correct-horse"}, "data": {"extra": "ZXh0cmE="}}""");
    Map<String, Object> live;
    try (InputStream in = getClass().getResourceAsStream("/secrets/stringdata.live.json")) {
      live = KubeApi.JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(FieldComparison.firstDifference(desired, live, MANAGER)).isEmpty();
    @SuppressWarnings("unchecked")
    Map<String, Object> stringData = (Map<String, Object>) desired.get("stringData");
    stringData.remove("password");
    assertThat(FieldComparison.firstDifference(desired, live, MANAGER)).contains(".stringData.password (set before, no longer in Git)");
  }
}
