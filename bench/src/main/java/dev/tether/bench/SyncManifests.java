package dev.tether.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The objects gitops-sync applies: n objects, half ConfigMaps and half Deployments, in files of a
 * hundred documents without a namespace, so each engine puts them in the namespace it is given.
 */
final class SyncManifests {
  private static final int DOCS_PER_FILE = 100;

  private SyncManifests() {}

  /** The folder of n objects for {@code label}, written the first time it is asked for. */
  static Path folder(Path workDir, String label, int n) throws Exception {
    Path files = workDir.resolve("manifests-" + label);
    if (!Files.isDirectory(files)) {
      write(files, n);
    }
    return files;
  }

  private static void write(Path dir, int n) throws Exception {
    Files.createDirectories(dir);
    StringBuilder docs = new StringBuilder();
    int file = 0;
    for (int i = 0; i < n; i++) {
      docs.append("---\n");
      if (i % 2 == 0) {
        docs.append("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings-%1$d
              labels: {app: bench}
            data:
              index: "%1$d"
              color: blue
            """.formatted(i));
      } else {
        docs.append("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web-%1$d
              labels: {app: bench}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web-%1$d}}
              template:
                metadata: {labels: {app: web-%1$d}}
                spec:
                  containers:
                    - name: web
                      image: registry.example.com/web:1.%1$d
                      ports: [{containerPort: 8080}]
                      resources: {requests: {cpu: 100m, memory: 64Mi}}
            """.formatted(i));
      }
      if ((i + 1) % DOCS_PER_FILE == 0 || i == n - 1) {
        Files.writeString(dir.resolve(String.format("objects-%03d.yaml", file++)), docs.toString());
        docs.setLength(0);
      }
    }
  }
}
