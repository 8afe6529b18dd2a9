package dev.tether.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Kustomize overlay the render benchmark syncs, written the same way every run: a base of apps
 * (a Deployment, a Service, a ConfigMap and a ServiceAccount each, in files of 25 apps) and an
 * overlay {@code overlays/prod} over it with a name prefix, labels, a strategic merge patch of every
 * Deployment, a JSON 6902 patch of every Service, an image tag and a configMapGenerator, as teams
 * lay out theirs. Nothing carries a namespace, so each engine puts the objects in the namespace it is given.
 * The Services are headless: a cluster IP each would use up the test control plane's service range
 * (a /24) after a round or two.
 */
final class GeneratedOverlay {
  static final String OVERLAY = "overlays/prod";
  private static final int OBJECTS_PER_APP = 4;
  private static final int APPS_PER_FILE = 25;

  private GeneratedOverlay() {}

  /** The project folder of an overlay of at least {@code objects} objects, written the first time it is asked for. */
  static Path folder(Path workDir, int objects) throws Exception {
    Path project = workDir.resolve("overlay-" + objects);
    if (!Files.isDirectory(project)) {
      write(project, apps(objects));
    }
    return project;
  }

  /** The objects the overlay renders: the base's apps and the generated ConfigMap. */
  static int objects(int objects) {
    return apps(objects) * OBJECTS_PER_APP + 1;
  }

  private static int apps(int objects) {
    return Math.max(1, (objects - 1 + OBJECTS_PER_APP - 1) / OBJECTS_PER_APP);
  }

  private static void write(Path project, int apps) throws Exception {
    Path base = project.resolve("base");
    Path overlay = project.resolve(OVERLAY);
    Files.createDirectories(base);
    Files.createDirectories(overlay);
    StringBuilder resources = new StringBuilder("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        + "labels:\n  - pairs: {app.kubernetes.io/part-of: bench}\nresources:\n");
    StringBuilder docs = new StringBuilder();
    for (int i = 0; i < apps; i++) {
      docs.append(app(i));
      if ((i + 1) % APPS_PER_FILE == 0 || i == apps - 1) {
        String file = String.format("apps-%03d.yaml", i / APPS_PER_FILE);
        Files.writeString(base.resolve(file), docs.toString());
        resources.append("  - ").append(file).append('\n');
        docs.setLength(0);
      }
    }
    Files.writeString(base.resolve("kustomization.yaml"), resources.toString());
    Files.writeString(overlay.resolve("kustomization.yaml"), """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - ../../base
        namePrefix: prod-
        labels:
          - pairs: {env: prod}
        images:
          - name: registry.example.com/web
            newTag: "2.0"
        configMapGenerator:
          - name: settings
            literals: [LOG_LEVEL=warn, REGION=eu-west]
        patches:
          - path: deployments.yaml
            target: {kind: Deployment}
          - target: {kind: Service}
            patch: |-
              - op: add
                path: /spec/ports/-
                value: {name: metrics, port: 9090, targetPort: 9090}
        """);
    Files.writeString(overlay.resolve("deployments.yaml"), """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: any
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - name: web
                  envFrom:
                    - configMapRef: {name: settings}
        """);
    Files.writeString(project.resolve("NOTES.md"), "The render benchmark's overlay project.\n");
  }

  private static String app(int i) {
    return """
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web-%1$d
        spec:
          replicas: 1
          selector: {matchLabels: {app: web-%1$d}}
          template:
            metadata: {labels: {app: web-%1$d}}
            spec:
              serviceAccountName: web-%1$d
              containers:
                - name: web
                  image: registry.example.com/web:1.0
                  ports: [{containerPort: 8080}]
                  resources: {requests: {cpu: 100m, memory: 64Mi}}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web-%1$d
        spec:
          clusterIP: None
          selector: {app: web-%1$d}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: web-%1$d-config
        data:
          index: "%1$d"
          color: blue
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: web-%1$d
        """.formatted(i);
  }
}
