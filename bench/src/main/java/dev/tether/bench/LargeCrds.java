package dev.tether.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CustomResourceDefinitions with large OpenAPI schemas, as real controllers ship them (several MB
 * for some): each a tree of documented properties until the file has the size asked for.
 */
final class LargeCrds {
  private LargeCrds() {}

  /** Writes {@code count} CRDs of about {@code bytes} each into {@code dir}. */
  static void write(Path dir, int count, int bytes) throws Exception {
    Files.createDirectories(dir);
    for (int c = 0; c < count; c++) {
      String kind = "Gadget" + c;
      StringBuilder yaml = new StringBuilder("""
          apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata:
            name: gadget%1$ds.bench.tether.dev
          spec:
            group: bench.tether.dev
            scope: Namespaced
            names: {plural: gadget%1$ds, singular: gadget%1$d, kind: %2$s, listKind: %2$sList}
            versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
          """.formatted(c, kind));
      for (int field = 0; yaml.length() < bytes; field++) {
        yaml.append("""
                              field%1$d:
                                type: object
                                description: Settings of part %1$d of the gadget; every part is described at length, as generated schemas describe every field of every nested type they carry.
                                properties:
                                  name: {type: string, description: The name of part %1$d.}
                                  replicas: {type: integer, format: int32, description: How many copies of part %1$d run.}
                                  enabled: {type: boolean, description: Whether part %1$d is on.}
            """.formatted(field));
      }
      Files.writeString(dir.resolve("crd-" + c + ".yaml"), yaml.toString());
    }
  }
}
