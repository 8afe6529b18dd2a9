package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrunerOrderTest {
  private static ObjectKey key(String group, String kind, String namespace, String name) {
    return new ObjectKey(group, kind, namespace, name);
  }

  @Test
  void customResourcesFirstThenNamespacedThenClusterScopedThenCrdsThenNamespaces() {
    ObjectKey namespace = key("", "Namespace", "", "team");
    ObjectKey crd = key("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com");
    ObjectKey clusterRole = key("rbac.authorization.k8s.io", "ClusterRole", "", "reader");
    ObjectKey deployment = key("apps", "Deployment", "team", "web");
    ObjectKey configMap = key("", "ConfigMap", "team", "settings");
    ObjectKey widget = key("example.com", "Widget", "team", "gizmo");

    List<List<ObjectKey>> order = Pruner.order(List.of(namespace, crd, clusterRole, deployment, configMap, widget));

    assertThat(order).containsExactly(List.of(widget), List.of(configMap, deployment), List.of(clusterRole), List.of(crd), List.of(namespace));
  }

  @Test
  void emptyStagesAreLeftOut() {
    ObjectKey namespace = key("", "Namespace", "", "team");
    ObjectKey configMap = key("", "ConfigMap", "team", "settings");
    assertThat(Pruner.order(List.of(namespace, configMap))).containsExactly(List.of(configMap), List.of(namespace));
    assertThat(Pruner.order(List.of())).isEmpty();
  }
}
