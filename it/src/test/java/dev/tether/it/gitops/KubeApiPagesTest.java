package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.gitops.KubeApi;
import dev.tether.agent.gitops.ResourceType;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@WithKubernetes
class KubeApiPagesTest {
  private static final ResourceType CONFIG_MAPS = new ResourceType("", "v1", "ConfigMap", "configmaps", true);

  @Test
  @DisplayName("a list of more than two pages reaches the engine whole, each object once, in pages of at most 500")
  void everyObjectOnceOverSeveralPages(KubeControlPlane plane, TestNamespace ns) throws Exception {
    try (KubernetesClient admin = plane.newAdminClient(ns.name())) {
      ExecutorService creators = Executors.newFixedThreadPool(16);
      List<Future<?>> created = new ArrayList<>();
      for (int i = 0; i < 1100; i++) {
        String name = "cm-" + i;
        created.add(creators.submit(() -> admin.configMaps().inNamespace(ns.name())
            .resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().addToData("i", name).build()).create()));
      }
      for (Future<?> f : created) {
        f.get(2, TimeUnit.MINUTES);
      }
      creators.shutdown();

      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Integer> pages = new ConcurrentLinkedQueue<>();
      KubeApi.join(new KubeApi(admin).forEachPage(CONFIG_MAPS, ns.name(), items -> {
        pages.add(items.size());
        for (Map<String, Object> item : items) {
          @SuppressWarnings("unchecked")
          Map<String, Object> metadata = (Map<String, Object>) item.get("metadata");
          seen.add((String) metadata.get("name"));
          assertThat(item).containsEntry("kind", "ConfigMap").containsEntry("apiVersion", "v1");
        }
      }));

      // The controller manager may publish kube-root-ca.crt into the namespace meanwhile: count ours.
      assertThat(pages).hasSize(3).allMatch(n -> n <= 500);
      assertThat(seen).doesNotHaveDuplicates();
      assertThat(seen.stream().filter(n -> n.startsWith("cm-"))).hasSize(1100).contains("cm-0", "cm-1099");
    }
  }
}
