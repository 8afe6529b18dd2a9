package dev.tether.it.install;

import static org.assertj.core.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What a service account may do, as the API server's authorizer answers SubjectAccessReviews. */
final class ServiceAccountAccess {
  private final KubernetesClient admin;
  private final String namespace;
  private final String name;

  /**
   * One request to authorize.
   *
   * @param resource {@code plural[.group][/subresource]}, or a non-resource path starting with '/'
   * @param namespace empty for cluster-scoped requests and for requests across all namespaces
   */
  record Request(String verb, String resource, String namespace) {
    @Override
    public String toString() {
      return verb + " " + resource + (resource.startsWith("/") ? "" : namespace.isEmpty() ? " (cluster-wide)" : " in " + namespace);
    }
  }

  static Request can(String verb, String resource, String namespace) {
    return new Request(verb, resource, namespace);
  }

  static Request can(String verb, String resource) {
    return new Request(verb, resource, "");
  }

  ServiceAccountAccess(KubernetesClient admin, String namespace, String name) {
    this.admin = admin;
    this.namespace = namespace;
    this.name = name;
  }

  String user() {
    return "system:serviceaccount:" + namespace + ":" + name;
  }

  boolean allows(Request request) {
    // The groups the API server gives every service account token: what the agent's pod really has.
    var spec = new SubjectAccessReviewBuilder().withNewSpec().withUser(user())
        .withGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated");
    if (request.resource().startsWith("/")) {
      spec.withNewNonResourceAttributes().withVerb(request.verb()).withPath(request.resource()).endNonResourceAttributes();
    } else {
      String resource = request.resource();
      String subresource = "";
      int slash = resource.indexOf('/');
      if (slash > 0) {
        subresource = resource.substring(slash + 1);
        resource = resource.substring(0, slash);
      }
      int dot = resource.indexOf('.');
      String group = dot < 0 ? "" : resource.substring(dot + 1);
      String plural = dot < 0 ? resource : resource.substring(0, dot);
      spec.withNewResourceAttributes().withVerb(request.verb()).withGroup(group).withResource(plural)
          .withSubresource(subresource).withNamespace(request.namespace()).endResourceAttributes();
    }
    SubjectAccessReview review = admin.authorization().v1().subjectAccessReview().create(spec.endSpec().build());
    return Boolean.TRUE.equals(review.getStatus().getAllowed());
  }

  /** Fails listing every request whose answer was not the expected one. */
  void assertAnswers(List<Request> allowed, List<Request> denied) {
    List<String> wrong = new ArrayList<>();
    for (Request request : allowed) {
      if (!allows(request)) {
        wrong.add("denied but should be allowed: " + request);
      }
    }
    for (Request request : denied) {
      if (allows(request)) {
        wrong.add("allowed but should be denied: " + request);
      }
    }
    if (!wrong.isEmpty()) {
      fail(user() + ":\n  " + String.join("\n  ", wrong));
    }
  }

  /** Every binding in the cluster that names this service account itself (not its groups), as {@code Kind namespace/name -> roleKind/roleName}. */
  Set<String> bindings() {
    Set<String> found = new TreeSet<>();
    for (ClusterRoleBinding binding : admin.rbac().clusterRoleBindings().list().getItems()) {
      if (namesMe(binding.getSubjects())) {
        found.add("ClusterRoleBinding " + binding.getMetadata().getName() + " -> " + binding.getRoleRef().getKind() + "/"
            + binding.getRoleRef().getName());
      }
    }
    for (RoleBinding binding : admin.rbac().roleBindings().inAnyNamespace().list().getItems()) {
      if (namesMe(binding.getSubjects())) {
        found.add("RoleBinding " + binding.getMetadata().getNamespace() + "/" + binding.getMetadata().getName() + " -> "
            + binding.getRoleRef().getKind() + "/" + binding.getRoleRef().getName());
      }
    }
    return found;
  }

  private boolean namesMe(List<Subject> subjects) {
    if (subjects == null) {
      return false;
    }
    for (Subject s : subjects) {
      boolean serviceAccount = "ServiceAccount".equals(s.getKind()) && name.equals(s.getName()) && namespace.equals(s.getNamespace());
      boolean user = "User".equals(s.getKind()) && user().equals(s.getName());
      if (serviceAccount || user) {
        return true;
      }
    }
    return false;
  }
}
