package dev.tether.it.gitops;

import static dev.tether.it.support.GitopsSetup.configMap;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.git.GitRepository;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who owns what: field managers, manifest projects and inventories. */
@WithKubernetes
class GitopsOwnershipTest {

  private static void existing(KubernetesClient client, String name, String value, String owner) {
    ConfigMapBuilder cm = new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata().addToData("value", value);
    if (owner != null) {
      cm.editMetadata().addToAnnotations("config.k8s.io/owning-inventory", owner).endMetadata();
    }
    client.configMaps().resource(cm.build()).fieldManager("alice").serverSideApply();
  }

  @Test
  @DisplayName("a field another manager owns: refused with its name without force_conflicts, taken with it")
  void fieldManagerConflict(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("a.yaml", configMap("shared", "from-git"));
      String commit = setup.manifests.commitAndPush("Claim shared");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      force_conflicts: false\n      inventory_policy: adopt_if_no_inventory\n");
      existing(client, "shared", "from-alice", null);
      setup.startAgent();

      SyncOutcome refused = setup.awaitSync(commit);

      assertThat(refused.phase()).isEqualTo(Phase.FAILED);
      assertThat(refused.objects()).singleElement().satisfies(o -> assertThat(o.message())
          .contains("conflict").contains("alice").contains(".data.value").contains("force_conflicts: true"));
      assertThat(client.configMaps().withName("shared").get().getData()).containsEntry("value", "from-alice");

      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      inventory_policy: adopt_if_no_inventory\n");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .until(() -> "from-git".equals(client.configMaps().withName("shared").get().getData().get("value")));
      ConfigMap taken = client.configMaps().withName("shared").get();
      assertThat(taken.getMetadata().getManagedFields()).filteredOn(m -> m.getManager().equals("tether")).hasSize(1);
    }
  }

  @Test
  @DisplayName("two manifest projects selecting the same object: a conflict naming both, not a tug of war")
  void twoProjectsOneObject(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/a")) {
      GitRepository other = GitRepository.create(dir.resolve("repos"), "other");
      setup.tether.addProject("team/b", other.bareDir().toString(), Map.of());
      String a = setup.manifests.write("shared.yaml", configMap("shared", "a")).write("mine.yaml", configMap("only-a", "a"))
          .commitAndPush("A's copy");
      String b = other.write("shared.yaml", configMap("shared", "b")).commitAndPush("B's copy");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/a\n      default_namespace: " + ns
          + "\n    - id: team/b\n      default_namespace: " + ns + "\n");
      setup.startAgent();

      SyncOutcome first = setup.awaitSync("team/a", a);
      SyncOutcome second = setup.awaitSync("team/b", b);

      SyncOutcome loser = first.phase() == Phase.FAILED ? first : second;
      SyncOutcome winner = loser == first ? second : first;
      assertThat(winner.phase()).as(winner.message()).isEqualTo(Phase.SYNCED);
      assertThat(loser.phase()).isEqualTo(Phase.FAILED);
      String winnerName = winner == first ? "team/a" : "team/b";
      assertThat(loser.objects()).filteredOn(o -> o.key().name().equals("shared")).singleElement()
          .satisfies(o -> assertThat(o.message()).contains("conflict: manifest project '" + winnerName + "' also selects"));
      assertThat(client.configMaps().withName("shared").get().getData().get("value")).isEqualTo(winner == first ? "a" : "b");
    }
  }

  @Test
  @DisplayName("inventory_policy must_match leaves foreign objects alone; adopt_if_no_inventory takes unowned ones; adopt_all takes all")
  void inventoryPolicies(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      existing(client, "unowned", "old", null);
      existing(client, "foreign", "old", "someone-else");
      setup.manifests.write("u.yaml", configMap("unowned", "new")).write("f.yaml", configMap("foreign", "new"))
          .write("n.yaml", configMap("fresh", "new"));
      String commit = setup.manifests.commitAndPush("Touch everything");
      String base = "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n";
      setup.configure(base + "      inventory_policy: must_match\n");
      setup.startAgent();

      SyncOutcome mustMatch = setup.awaitSync(commit);
      assertThat(results(mustMatch)).containsEntry("fresh", "created").containsEntry("unowned", "failed").containsEntry("foreign", "failed");
      assertThat(mustMatch.objects()).filteredOn(o -> o.key().name().equals("foreign")).singleElement()
          .satisfies(o -> assertThat(o.message()).contains("belongs to inventory 'someone-else'"));
      assertThat(mustMatch.objects()).filteredOn(o -> o.key().name().equals("unowned")).singleElement()
          .satisfies(o -> assertThat(o.message()).contains("belongs to no inventory").contains("adopt_if_no_inventory"));
      assertThat(value(client, "unowned")).isEqualTo("old");

      setup.configure(base + "      inventory_policy: adopt_if_no_inventory\n");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "new".equals(value(client, "unowned")));
      assertThat(value(client, "foreign")).isEqualTo("old");
      assertThat(owner(client, "unowned")).isEqualTo("prod-team.app");

      setup.configure(base + "      inventory_policy: adopt_all\n");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> "new".equals(value(client, "foreign")));
      assertThat(owner(client, "foreign")).isEqualTo("prod-team.app");
    }
  }

  @Test
  @DisplayName("a cluster the GitLab agent managed (cli-utils inventory) is taken over without re-creating anything, and pruning continues")
  void adoptsGitLabAgentInventory(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    // What the GitLab agent (cli-utils) leaves behind: annotated objects and its inventory ConfigMap.
    String gitlabInventory = "42-1337";
    for (String name : new String[] {"frontend", "backend", "retired"}) {
      ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(name)
          .addToAnnotations("config.k8s.io/owning-inventory", gitlabInventory).endMetadata()
          .addToData("value", "v1").build();
      client.configMaps().resource(cm).fieldManager("kubectl").serverSideApply();
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (String name : new String[] {"frontend", "backend", "retired"}) {
      entries.put(ns + "_" + name + "__ConfigMap", "{\"strategy\":\"Apply\",\"actuation\":\"Succeeded\",\"reconcile\":\"Succeeded\"}");
    }
    client.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName("inventory-" + gitlabInventory)
        .addToLabels("cli-utils.sigs.k8s.io/inventory-id", gitlabInventory).endMetadata().withData(entries).build()).create();
    Map<String, String> uids = new LinkedHashMap<>();
    for (String name : new String[] {"frontend", "backend"}) {
      uids.put(name, client.configMaps().withName(name).get().getMetadata().getUid());
    }

    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      setup.manifests.write("frontend.yaml", configMap("frontend", "v1")).write("backend.yaml", configMap("backend", "v2"));
      String commit = setup.manifests.commitAndPush("Same app, retired map dropped, backend bumped");
      setup.configure("gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns
          + "\n      inventory_id: \"" + gitlabInventory + "\"\n");
      setup.startAgent();

      SyncOutcome outcome = setup.awaitSync(commit);

      assertThat(outcome.phase()).as(outcome.message()).isEqualTo(Phase.SYNCED);
      // frontend already is what Git says, owned by the same inventory: taken over without a single write.
      assertThat(results(outcome)).containsEntry("frontend", "unchanged").containsEntry("backend", "configured")
          .containsEntry("retired", "pruned");
      for (Map.Entry<String, String> uid : uids.entrySet()) {
        assertThat(client.configMaps().withName(uid.getKey()).get().getMetadata().getUid()).as("not re-created").isEqualTo(uid.getValue());
      }
      assertThat(value(client, "backend")).isEqualTo("v2");
      assertThat(client.configMaps().withName("retired").get()).isNull();
      assertThat(client.configMaps().withName("inventory-" + gitlabInventory).get().getData())
          .containsOnlyKeys(ns + "_frontend__ConfigMap", ns + "_backend__ConfigMap");
      assertThat(client.configMaps().withName("backend").get().getMetadata().getManagedFields())
          .extracting(ManagedFieldsEntry::getManager).contains("tether");
    }
  }

  private static Map<String, String> results(SyncOutcome outcome) {
    Map<String, String> byName = new LinkedHashMap<>();
    outcome.objects().forEach(o -> byName.put(o.key().name(), o.action().wireName()));
    return byName;
  }

  private static String value(KubernetesClient client, String name) {
    return client.configMaps().withName(name).get().getData().get("value");
  }

  private static String owner(KubernetesClient client, String name) {
    return client.configMaps().withName(name).get().getMetadata().getAnnotations().get("config.k8s.io/owning-inventory");
  }
}
