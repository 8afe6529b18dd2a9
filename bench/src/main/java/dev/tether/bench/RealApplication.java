package dev.tether.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The manifests of a "real application" for the gitops-sync rows: a controller's install with three
 * CRDs whose OpenAPI schemas are over 1 MB each, and seven microservices of eight objects each
 * (Deployment, Service, ServiceAccount with a Role and RoleBinding, ConfigMap, Secret, NetworkPolicy),
 * each in the namespace given. With custom resources, the commit also holds objects of those CRDs'
 * kinds, so the sync must wait for the CRDs; without, it must not.
 */
final class RealApplication {
  static final int CRDS = 3;
  static final int SERVICES = 7;
  // One field's description; 1100 of them make a schema of about 1.1 MB, as large controllers' CRDs are.
  private static final String DESCRIPTION = "Describes a field of a large schema, as generated from Go types with long doc comments. "
      .repeat(11);

  private RealApplication() {}

  /** Writes the manifests into {@code dir}; returns how many objects they hold. */
  static int write(Path dir, String namespace, String group, boolean withCustomResources) throws IOException {
    Files.createDirectories(dir);
    int objects = 0;
    for (int c = 0; c < CRDS; c++) {
      Files.writeString(dir.resolve("crd-" + c + ".yaml"), crd(group, "Kind" + c));
      objects++;
      if (withCustomResources) {
        Files.writeString(dir.resolve("resource-" + c + ".yaml"), """
            apiVersion: %s/v1
            kind: Kind%d
            metadata: {name: example, namespace: %s}
            spec: {field1: a, field2: b}
            """.formatted(group, c, namespace));
        objects++;
      }
    }
    for (int s = 0; s < SERVICES; s++) {
      Files.writeString(dir.resolve("service-" + s + ".yaml"), service("svc" + s, namespace));
      objects += 8;
    }
    return objects;
  }

  /** A CRD in JSON (which is YAML too), its schema over 1 MB. */
  static String crd(String group, String kind) {
    String plural = kind.toLowerCase() + "s";
    StringBuilder properties = new StringBuilder();
    for (int i = 0; i < 1100; i++) {
      properties.append(i == 0 ? "" : ",").append("\"field").append(i).append("\":{\"type\":\"string\",\"description\":\"")
          .append(DESCRIPTION).append(i).append("\"}");
    }
    return """
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
         "metadata": {"name": "%3$s.%1$s"},
         "spec": {"group": "%1$s", "scope": "Namespaced",
          "names": {"plural": "%3$s", "singular": "%4$s", "kind": "%2$s"},
          "versions": [{"name": "v1", "served": true, "storage": true,
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {%5$s}}}}}}]}}
        """.formatted(group, kind, plural, kind.toLowerCase(), properties);
  }

  private static String service(String name, String namespace) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: %1$s, namespace: %2$s, labels: {app: %1$s}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: %1$s}}
          template:
            metadata: {labels: {app: %1$s}}
            spec:
              serviceAccountName: %1$s
              containers:
                - name: app
                  image: registry.example.com/%1$s:1.0
                  ports: [{name: http, containerPort: 8080}]
                  env: [{name: MODE, value: prod}, {name: CONFIG, value: /etc/%1$s}]
                  envFrom: [{configMapRef: {name: %1$s}}, {secretRef: {name: %1$s}}]
                  resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: %1$s, namespace: %2$s}
        spec: {selector: {app: %1$s}, ports: [{name: http, port: 80, targetPort: http}]}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: %1$s, namespace: %2$s}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: %1$s, namespace: %2$s}
        rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: %1$s, namespace: %2$s}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: %1$s}
        subjects: [{kind: ServiceAccount, name: %1$s, namespace: %2$s}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: %1$s, namespace: %2$s}
        data: {LOG_LEVEL: info, FEATURES: "a,b,c"}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: %1$s, namespace: %2$s}
        stringData: {API_KEY: not-a-real-key}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          podSelector: {matchLabels: {app: %1$s}}
          policyTypes: [Ingress]
          ingress: [{ports: [{port: 8080}]}]
        """.formatted(name, namespace);
  }
}
