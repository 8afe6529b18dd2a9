package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KubeHttpTest {
  // Every Vert.x instance runs one thread of this name while it is open.
  private static final String CHECKER = "vertx-blocked-thread-checker";

  private static final Config CLUSTER = new ConfigBuilder(Config.empty()).withMasterUrl("https://127.0.0.1:1").build();

  private static long instances() {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(CHECKER) && t.isAlive()).count();
  }

  private static List<KubernetesClient> threeClients(KubernetesClientBuilder builder) {
    List<KubernetesClient> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clients.add(builder.withConfig(CLUSTER).build());
    }
    return clients;
  }

  @Test
  @DisplayName("the agent's Kubernetes clients run on one Vert.x instance, which stops when the agent closes it")
  void clientsShareOneInstance() throws Exception {
    long before = instances();
    KubeHttp http = new KubeHttp();
    List<KubernetesClient> clients = threeClients(new KubernetesClientBuilder().withHttpClientFactory(http.factory()));
    assertThat(instances() - before).as("Vert.x instances started for three clients").isEqualTo(1);
    clients.forEach(KubernetesClient::close);
    assertThat(instances() - before).as("closing the clients leaves the shared instance to its owner").isEqualTo(1);
    http.close();
    awaitInstances(before);
    assertThat(instances()).as("closed with the agent").isEqualTo(before);
  }

  @Test
  @DisplayName("without it, fabric8 starts an instance per client (what the shared instance saves)")
  void withoutItEachClientStartsOne() throws Exception {
    long before = instances();
    List<KubernetesClient> clients = threeClients(new KubernetesClientBuilder());
    assertThat(instances() - before).isEqualTo(3);
    clients.forEach(KubernetesClient::close);
    awaitInstances(before);
  }

  private static void awaitInstances(long expected) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (instances() > expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
