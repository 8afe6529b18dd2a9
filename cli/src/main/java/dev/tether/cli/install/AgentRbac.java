package dev.tether.cli.install;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.RoleRefBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What the agent's service account may do. Cluster-wide it may do everything, as the GitLab agent's
 * default install: Git decides what it applies, and the cluster's RBAC decides what impersonated
 * callers may do. Namespaced it may do everything inside the listed namespaces and nothing
 * outside them; impersonation is added only on request, because impersonating any user or group
 * (system:masters, say) is cluster-admin by another name.
 */
final class AgentRbac {
  private static final String RBAC_GROUP = "rbac.authorization.k8s.io";

  static final List<PolicyRule> EVERYTHING = List.of(
      new PolicyRuleBuilder().withApiGroups("*").withResources("*").withVerbs("*").build(),
      new PolicyRuleBuilder().withNonResourceURLs("*").withVerbs("*").build());

  static final List<PolicyRule> EVERYTHING_IN_NAMESPACE = List.of(
      new PolicyRuleBuilder().withApiGroups("*").withResources("*").withVerbs("*").build());

  /**
   * The Kubernetes API proxy sends Impersonate-User, -Group, -Uid and -Extra-KEY headers. An extra is
   * checked as resource userextras/KEY, and RBAC has no wildcard for one resource's subresources, so
   * the second rule takes every resource of authentication.k8s.io (uids, userextras/*), for this verb only.
   */
  static final List<PolicyRule> IMPERSONATION = List.of(
      new PolicyRuleBuilder().withApiGroups("").withResources("users", "groups", "serviceaccounts")
          .withVerbs("impersonate").build(),
      new PolicyRuleBuilder().withApiGroups("authentication.k8s.io").withResources("*")
          .withVerbs("impersonate").build());

  /** The Lease that elects the replica running GitOps: only this, only in the agent's namespace. */
  static final List<PolicyRule> LEASE = List.of(
      new PolicyRuleBuilder().withApiGroups("coordination.k8s.io").withResources("leases")
          .withVerbs("get", "create", "update").build());

  private AgentRbac() {}

  /**
   * A Role and RoleBinding for the GitOps Lease in the agent's own namespace, whatever else it may do: with
   * --namespaced the agent's namespace need not be among the listed ones.
   */
  static List<HasMetadata> lease(String name, String namespace, Subject agent, Function<String, ObjectMeta> meta) {
    ObjectMeta roleMeta = meta.apply(name + "-lease");
    roleMeta.setNamespace(namespace);
    ObjectMeta bindingMeta = meta.apply(name + "-lease");
    bindingMeta.setNamespace(namespace);
    return List.of(new RoleBuilder().withMetadata(roleMeta).withRules(LEASE).build(),
        new RoleBindingBuilder().withMetadata(bindingMeta).withRoleRef(roleRef("Role", name + "-lease")).withSubjects(agent).build());
  }

  static List<HasMetadata> clusterWide(String name, Subject agent, Function<String, ObjectMeta> meta) {
    return clusterRole(name, EVERYTHING, agent, meta);
  }

  static List<HasMetadata> namespaced(String name, List<String> namespaces, boolean impersonation, Subject agent,
      Function<String, ObjectMeta> meta) {
    List<HasMetadata> objects = new ArrayList<>();
    if (impersonation) {
      objects.addAll(clusterRole(name + "-impersonate", IMPERSONATION, agent, meta));
    }
    for (String namespace : namespaces) {
      ObjectMeta roleMeta = meta.apply(name);
      roleMeta.setNamespace(namespace);
      objects.add(new RoleBuilder().withMetadata(roleMeta).withRules(EVERYTHING_IN_NAMESPACE).build());
    }
    for (String namespace : namespaces) {
      ObjectMeta bindingMeta = meta.apply(name);
      bindingMeta.setNamespace(namespace);
      objects.add(new RoleBindingBuilder().withMetadata(bindingMeta).withRoleRef(roleRef("Role", name))
          .withSubjects(agent).build());
    }
    return objects;
  }

  static Subject serviceAccount(String name, String namespace) {
    return new SubjectBuilder().withKind("ServiceAccount").withName(name).withNamespace(namespace).build();
  }

  private static List<HasMetadata> clusterRole(String roleName, List<PolicyRule> rules, Subject agent,
      Function<String, ObjectMeta> meta) {
    return List.of(
        new ClusterRoleBuilder().withMetadata(meta.apply(roleName)).withRules(rules).build(),
        new ClusterRoleBindingBuilder().withMetadata(meta.apply(roleName)).withRoleRef(roleRef("ClusterRole", roleName))
            .withSubjects(agent).build());
  }

  private static RoleRef roleRef(String kind, String name) {
    return new RoleRefBuilder().withApiGroup(RBAC_GROUP).withKind(kind).withName(name).build();
  }
}
