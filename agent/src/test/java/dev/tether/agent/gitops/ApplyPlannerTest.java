package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApplyPlannerTest {
  private static final Map<String, ResourceType> SERVED = Map.of(
      "v1/Namespace", new ResourceType("", "v1", "Namespace", "namespaces", false),
      "v1/ConfigMap", new ResourceType("", "v1", "ConfigMap", "configmaps", true),
      "apps/v1/Deployment", new ResourceType("apps", "v1", "Deployment", "deployments", true),
      "apiextensions.k8s.io/v1/CustomResourceDefinition",
      new ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false));

  private final ObjectClaims claims = new ObjectClaims();
  private final ApplyPlanner planner = new ApplyPlanner((apiVersion, kind) -> Optional.ofNullable(SERVED.get(apiVersion + "/" + kind)),
      claims);

  private static DesiredObject object(String apiVersion, String kind, String namespace, String name) {
    Map<String, Object> metadata = new LinkedHashMap<>(Map.of("name", name));
    if (namespace != null) {
      metadata.put("namespace", namespace);
    }
    Map<String, Object> content = new LinkedHashMap<>(Map.of("apiVersion", apiVersion, "kind", kind, "metadata", metadata));
    return new DesiredObject(apiVersion, kind, content, "app.yaml", 0, 1);
  }

  private static DesiredObject crd(String group, String kind) {
    DesiredObject o = object("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, kind.toLowerCase() + "s." + group);
    o.content().put("spec", Map.of("group", group, "names", Map.of("kind", kind, "plural", kind.toLowerCase() + "s")));
    return o;
  }

  @Test
  void namespacedObjectsGetTheDefaultNamespaceAndTheOwnerAnnotation() {
    ApplyPlanner.Plan plan = planner.plan(List.of(object("v1", "ConfigMap", null, "settings")), "apps", "inv-1", "team/app");

    assertThat(plan.refused()).isEmpty();
    PlannedObject p = plan.objects().get(0);
    assertThat(p.key()).isEqualTo(new ObjectKey("", "ConfigMap", "apps", "settings"));
    assertThat(p.content()).extractingByKey("metadata").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("namespace", "apps").containsEntry("annotations", Map.of(Inventory.OWNER_ANNOTATION, "inv-1"));
  }

  @Test
  void theManifestItselfIsNotChanged() {
    DesiredObject o = object("v1", "ConfigMap", null, "settings");
    planner.plan(List.of(o), "apps", "inv-1", "team/app");
    assertThat(o.metadata()).containsOnlyKeys("name");
  }

  @Test
  void clusterScopedObjectsWithANamespaceAndUnknownKindsAreRefused() {
    ApplyPlanner.Plan plan = planner.plan(List.of(object("v1", "Namespace", "apps", "team"), object("example.com/v1", "Gadget", null, "g"),
        object("v1", "ConfigMap", "apps", "ok")), "apps", "inv-1", "team/app");

    assertThat(plan.objects()).extracting(p -> p.key().name()).containsExactly("ok");
    assertThat(plan.refused()).extracting(ObjectResult::message).containsExactly("Namespace is cluster-scoped but has namespace apps",
        "kind Gadget of example.com/v1 is not served by the cluster (is its CustomResourceDefinition missing?)");
  }

  @Test
  void anObjectDefinedTwiceIsRefusedBothTimes() {
    ApplyPlanner.Plan plan = planner.plan(List.of(object("v1", "ConfigMap", null, "twice"), object("v1", "ConfigMap", "apps", "twice"),
        object("v1", "ConfigMap", null, "once")), "apps", "inv-1", "team/app");

    assertThat(plan.objects()).extracting(p -> p.key().name()).containsExactly("once");
    assertThat(plan.refused()).singleElement().satisfies(r -> assertThat(r.message())
        .startsWith("ConfigMap apps/twice is defined twice: in app.yaml, document 1 (line 1) and in app.yaml"));
  }

  @Test
  void anObjectAnotherProjectClaimsIsRefused() {
    claims.claim(new ObjectKey("apps", "Deployment", "apps", "web"), "team/other");
    ApplyPlanner.Plan plan = planner.plan(List.of(object("apps/v1", "Deployment", null, "web")), "apps", "inv-1", "team/app");

    assertThat(plan.objects()).isEmpty();
    assertThat(plan.refused()).singleElement().satisfies(r -> assertThat(r.message()).contains("manifest project 'team/other' also selects"));
  }

  @Test
  void customResourcesOfACrdInTheSameCommitWaitForItsType() {
    ApplyPlanner.Plan plan = planner.plan(List.of(crd("example.com", "Widget"), object("example.com/v1", "Widget", null, "gizmo"),
        crd("example.com", "Unused")), "apps", "inv-1", "team/app");

    assertThat(plan.refused()).isEmpty();
    assertThat(plan.objects()).filteredOn(p -> !p.resolved()).singleElement()
        .satisfies(p -> assertThat(p.key()).isEqualTo(new ObjectKey("example.com", "Widget", "apps", "gizmo")));
    assertThat(plan.crdKinds()).containsExactlyInAnyOrder("example.com/Widget", "example.com/Unused");
    assertThat(plan.objects()).filteredOn(p -> !p.resolved()).extracting(PlannedObject::groupKind)
        .as("only a CRD whose kind the commit uses is waited for").containsExactly("example.com/Widget");
  }

  @Test
  void aCommitOfCrdsAloneWaitsForNone() {
    ApplyPlanner.Plan plan = planner.plan(List.of(crd("example.com", "Widget"), object("v1", "ConfigMap", null, "c")), "apps", "inv-1",
        "team/app");
    assertThat(plan.objects()).as("nothing waits for the CRD").allMatch(PlannedObject::resolved);
  }
}
