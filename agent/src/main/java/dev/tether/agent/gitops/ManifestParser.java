package dev.tether.agent.gitops;

import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import dev.tether.common.yaml.YamlValues;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads manifest files (multi-document YAML or JSON) into objects, expanding {@code List} kinds.
 * Every problem names the file, the document and the line; one bad document fails the whole set,
 * so that a broken commit never applies half of itself.
 */
public final class ManifestParser {
  /** Manifests are bigger than config files, but still bounded. */
  static final YamlLimits LIMITS = new YamlLimits(5 * 1024 * 1024, 128, 500, 2_000_000);

  /** A file as it came from Git. */
  public record ManifestFile(String path, byte[] content) {}

  /** The objects, or the problems that keep them from being used. */
  public record Parsed(List<DesiredObject> objects, List<String> errors) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  private ManifestParser() {}

  public static Parsed parse(List<ManifestFile> files) {
    List<DesiredObject> objects = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    ChartFiles charts = new ChartFiles(files);
    for (ManifestFile file : files) {
      Optional<String> chart = charts.problem(file);
      if (chart.isPresent()) {
        // One message per chart, on its Chart.yaml; its other files say nothing more.
        if (!chart.get().isEmpty()) {
          errors.add(chart.get());
        }
        continue;
      }
      boolean mayHoldSecrets = new String(file.content(), StandardCharsets.UTF_8).contains("Secret");
      List<Node> documents;
      try {
        documents = SafeYaml.readAll(file.content(), LIMITS);
      } catch (YamlProblem e) {
        errors.add(file.path() + place(e) + ": " + problem(e, mayHoldSecrets));
        continue;
      }
      for (int d = 0; d < documents.size(); d++) {
        if (documents.get(d) != null) {
          read(file.path(), d, documents.get(d), objects, errors, mayHoldSecrets);
        }
      }
    }
    return new Parsed(objects, errors);
  }

  private static String place(YamlProblem e) {
    if (e.line() <= 0) {
      return "";
    }
    return " (line " + e.line() + (e.column() > 0 ? ", column " + e.column() : "") + ")";
  }

  @SuppressWarnings("unchecked")
  private static void read(String path, int document, Node node, List<DesiredObject> objects, List<String> errors,
      boolean mayHoldSecrets) {
    String where = path + ", document " + (document + 1) + " (line " + SafeYaml.line(node) + ")";
    if (!(node instanceof MappingNode)) {
      errors.add(where + ": a manifest must be a mapping with apiVersion, kind and metadata");
      return;
    }
    Object value;
    try {
      value = YamlValues.toValue(node);
    } catch (YamlProblem e) {
      errors.add(path + ", document " + (document + 1) + " (line " + e.line() + "): " + problem(e, mayHoldSecrets));
      return;
    }
    Map<String, Object> content = (Map<String, Object>) value;
    Object kind = content.get("kind");
    Object items = content.get("items");
    if (kind instanceof String k && k.endsWith("List") && items instanceof List<?> list) {
      List<Node> itemNodes = itemNodes((MappingNode) node);
      for (int i = 0; i < list.size(); i++) {
        Node itemNode = i < itemNodes.size() ? itemNodes.get(i) : node;
        if (!(list.get(i) instanceof Map<?, ?>)) {
          errors.add(where + ": item " + (i + 1) + " of the " + k + " is not a mapping");
          continue;
        }
        object(path, document, SafeYaml.line(itemNode), (Map<String, Object>) list.get(i), objects, errors,
            where + ", item " + (i + 1) + " of the " + k);
      }
      return;
    }
    object(path, document, SafeYaml.line(node), content, objects, errors, where);
  }

  @SuppressWarnings("unchecked")
  private static void object(String path, int document, int line, Map<String, Object> content, List<DesiredObject> objects,
      List<String> errors, String where) {
    Object apiVersion = content.get("apiVersion");
    Object kind = content.get("kind");
    Object metadata = content.get("metadata");
    if (isKustomization(path, apiVersion, kind)) {
      // Not an object but what renders objects: say which key renders it, rather than that it lacks a name.
      int slash = path.lastIndexOf('/');
      errors.add(path + " is a Kustomize file: render it with `kustomize: {path: " + (slash < 0 ? "." : path.substring(0, slash))
          + "}` in its own manifest project entry, or leave it out with paths[].exclude");
      return;
    }
    if (!(apiVersion instanceof String) || ((String) apiVersion).isBlank()) {
      errors.add(where + ": 'apiVersion' is missing");
      return;
    }
    if (!(kind instanceof String) || ((String) kind).isBlank()) {
      errors.add(where + ": 'kind' is missing");
      return;
    }
    if (!(metadata instanceof Map<?, ?> meta) || !(meta.get("name") instanceof String name) || name.isBlank()) {
      errors.add(where + ": 'metadata.name' is missing" + (metadata instanceof Map<?, ?> m && m.containsKey("generateName")
          ? " (generateName is not supported: a generated name cannot be tracked from Git)" : ""));
      return;
    }
    Object namespace = ((Map<String, Object>) metadata).get("namespace");
    if (namespace != null && !(namespace instanceof String)) {
      errors.add(where + ": 'metadata.namespace' must be text");
      return;
    }
    objects.add(new DesiredObject((String) apiVersion, (String) kind, content, path, document, line));
  }

  /**
   * A kustomization file as kustomize finds one (by its name; apiVersion and kind are optional in it), or any
   * document of kustomize's own API group. Flux's Kustomization objects are of another group and stay objects.
   */
  static boolean isKustomization(String path, Object apiVersion, Object kind) {
    if (apiVersion instanceof String a && a.startsWith("kustomize.config.k8s.io/")) {
      return true;
    }
    String name = path.substring(path.lastIndexOf('/') + 1);
    boolean kustomizationName = name.equals("kustomization.yaml") || name.equals("kustomization.yml") || name.equals("Kustomization");
    return kustomizationName && (apiVersion == null || kind == null || "Kustomization".equals(kind) || "Component".equals(kind))
        && !(apiVersion instanceof String a && a.contains(".") && !a.startsWith("kustomize.config.k8s.io/"));
  }

  /**
   * A YAML problem can quote the value it could not read ('…' is not a number); in a file that may
   * hold a Secret, that value may be secret, and the line number already says where to look.
   */
  private static String problem(YamlProblem e, boolean mayHoldSecrets) {
    return mayHoldSecrets ? SecretRedaction.withoutQuotedValues(e.getMessage()) : e.getMessage();
  }

  private static List<Node> itemNodes(MappingNode list) {
    for (NodeTuple tuple : list.getValue()) {
      if (tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals("items")
          && tuple.getValueNode() instanceof SequenceNode sequence) {
        return sequence.getValue();
      }
    }
    return List.of();
  }
}
