package dev.tether.server.render;

import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import dev.tether.common.yaml.YamlValues;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Checks every kustomization an overlay reaches before kustomize sees any of them, and lists their
 * directories (kustomize reads nothing else, as it loads with LoadRestrictionsRootOnly). Refused,
 * naming the file and the field: remote resources, Helm chart inflation, KRM functions (exec or
 * container), absolute paths, paths that leave the project, links, encoded or NUL names, and
 * cycles of bases.
 */
public final class KustomizationCheck {
  public static final List<String> FILE_NAMES = List.of("kustomization.yaml", "kustomization.yml", "Kustomization");
  static final YamlLimits LIMITS = new YamlLimits(1024 * 1024, 64, 50, 100_000);
  /** More kustomizations than this in one overlay is a runaway, not a configuration. */
  static final int MAX_KUSTOMIZATIONS = 1_000;
  private static final List<String> KUSTOMIZATION_FIELDS = List.of("resources", "bases", "components");
  private static final List<String> FUNCTION_FIELDS = List.of("generators", "transformers", "validators");
  private static final List<String> FILE_FIELDS = List.of("crds", "configurations", "patchesStrategicMerge");
  private static final List<String> PATH_OBJECT_FIELDS = List.of("patches", "patchesJson6902", "replacements");
  private static final List<String> HELM_FIELDS = List.of("helmCharts", "helmChartInflationGenerator", "helmGlobals");
  private static final List<String> FUNCTION_ANNOTATIONS = List.of("config.kubernetes.io/function", "config.k8s.io/function");

  private final ProjectTree tree;
  private final long maxFileBytes;
  private final Set<String> done = new LinkedHashSet<>();
  private final List<String> path = new ArrayList<>();

  private KustomizationCheck(ProjectTree tree, long maxFileBytes) {
    this.tree = tree;
    this.maxFileBytes = maxFileBytes;
  }

  /** The directories of every kustomization the overlay in {@code directory} reaches, the overlay first. */
  public static List<String> check(ProjectTree tree, String directory, long maxFileBytes) throws RenderException {
    KustomizationCheck check = new KustomizationCheck(tree, maxFileBytes);
    check.visit(directory, null);
    return List.copyOf(check.done);
  }

  /** The kustomization file of a directory, if it has one. */
  public static Optional<ProjectTree.Entry> kustomizationFile(ProjectTree tree, String directory) {
    for (String name : FILE_NAMES) {
      Optional<ProjectTree.Entry> entry = tree.entry(directory.equals(".") ? name : directory + "/" + name);
      if (entry.isPresent()) {
        return entry;
      }
    }
    return Optional.empty();
  }

  private void visit(String directory, String from) throws RenderException {
    if (path.contains(directory)) {
      List<String> cycle = new ArrayList<>(path.subList(path.indexOf(directory), path.size()));
      cycle.add(directory);
      throw new RenderException(from + " leads back to " + directory + ": a cycle of kustomizations (" + String.join(" -> ", cycle)
          + "); remove one of the references");
    }
    if (done.contains(directory)) {
      return;
    }
    if (done.size() == MAX_KUSTOMIZATIONS) {
      throw new RenderException("the overlay reaches more than " + MAX_KUSTOMIZATIONS + " kustomizations (the limit per render)");
    }
    ProjectTree.Entry file = kustomizationFile(tree, directory).orElseThrow(() -> new RenderException(
        (from == null ? directory : from + " names " + directory + ", which") + " holds no kustomization file ("
            + String.join(", ", FILE_NAMES) + ") at commit " + tree.commit()));
    if (file.kind() != ProjectTree.Kind.FILE) {
      throw new RenderException(file.path() + " is a symbolic link or submodule; a kustomize source reads only regular files");
    }
    path.add(directory);
    checkFields(directory, file.path(), kustomization(file));
    path.remove(path.size() - 1);
    done.add(directory);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> kustomization(ProjectTree.Entry file) throws RenderException {
    try {
      Optional<Node> root = SafeYaml.readOne(tree.read(file, maxFileBytes), LIMITS);
      Object value = root.isPresent() ? YamlValues.toValue(root.get()) : Map.of();
      if (!(value instanceof Map<?, ?>)) {
        throw new RenderException(file.path() + ": a kustomization must be a mapping of fields");
      }
      return (Map<String, Object>) value;
    } catch (YamlProblem e) {
      throw new RenderException(file.path() + " (line " + e.line() + "): " + e.getMessage());
    }
  }

  private void checkFields(String directory, String file, Map<String, Object> k) throws RenderException {
    for (String field : HELM_FIELDS) {
      if (k.containsKey(field)) {
        throw new RenderException(file + ": " + field + ": Tether does not inflate Helm charts inside kustomize (it would run "
            + "helm and fetch charts); render the chart as its own Helm source instead");
      }
    }
    for (String field : KUSTOMIZATION_FIELDS) {
      List<String> refs = strings(file, field, k.get(field));
      for (int i = 0; i < refs.size(); i++) {
        String where = file + ": " + field + "[" + i + "] '" + refs.get(i) + "'";
        String target = local(directory, refs.get(i), where);
        if (tree.isDirectory(target)) {
          visit(target, where);
        } else {
          regularFile(target, where);
        }
      }
    }
    for (String field : FUNCTION_FIELDS) {
      List<String> refs = strings(file, field, k.get(field));
      for (int i = 0; i < refs.size(); i++) {
        String where = file + ": " + field + "[" + i + "]";
        if (refs.get(i).contains("\n")) {
          noFunction(where + " (inline)", refs.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          continue;
        }
        where += " '" + refs.get(i) + "'";
        String target = local(directory, refs.get(i), where);
        if (tree.isDirectory(target)) {
          visit(target, where);
        } else {
          noFunction(where, tree.read(regularFile(target, where), maxFileBytes));
        }
      }
    }
    for (String field : FILE_FIELDS) {
      List<String> refs = strings(file, field, k.get(field));
      for (int i = 0; i < refs.size(); i++) {
        if (!refs.get(i).contains("\n")) { // patchesStrategicMerge may hold a patch inline
          String where = file + ": " + field + "[" + i + "] '" + refs.get(i) + "'";
          regularFile(local(directory, refs.get(i), where), where);
        }
      }
    }
    for (String field : PATH_OBJECT_FIELDS) {
      List<Map<String, Object>> items = objects(file, field, k.get(field));
      for (int i = 0; i < items.size(); i++) {
        pathField(directory, file + ": " + field + "[" + i + "].path", items.get(i).get("path"));
      }
    }
    if (k.get("openapi") instanceof Map<?, ?> openapi) {
      pathField(directory, file + ": openapi.path", openapi.get("path"));
    }
    for (String field : List.of("configMapGenerator", "secretGenerator")) {
      List<Map<String, Object>> items = objects(file, field, k.get(field));
      for (int i = 0; i < items.size(); i++) {
        String at = file + ": " + field + "[" + i + "]";
        List<String> files = strings(file, field + "[" + i + "].files", items.get(i).get("files"));
        for (int f = 0; f < files.size(); f++) {
          String name = files.get(f);
          String source = name.contains("=") ? name.substring(name.indexOf('=') + 1) : name;
          String where = at + ".files[" + f + "] '" + name + "'";
          regularFile(local(directory, source, where), where);
        }
        List<String> envs = strings(file, field + "[" + i + "].envs", items.get(i).get("envs"));
        for (int e = 0; e < envs.size(); e++) {
          String where = at + ".envs[" + e + "] '" + envs.get(e) + "'";
          regularFile(local(directory, envs.get(e), where), where);
        }
        pathField(directory, at + ".env", items.get(i).get("env"));
      }
    }
  }

  private void pathField(String directory, String where, Object value) throws RenderException {
    if (value instanceof String p) {
      String at = where + " '" + p + "'";
      regularFile(local(directory, p, at), at);
    }
  }

  /**
   * The project path a reference names, relative to the kustomization's directory; refused when it
   * is remote, absolute, encoded or leaves the project.
   */
  String local(String directory, String ref, String where) throws RenderException {
    if (ref.indexOf('\0') >= 0) {
      throw new RenderException(where + " contains a NUL character");
    }
    if (ref.contains("://") || ref.startsWith("git@") || ref.startsWith("git::") || ref.startsWith("ssh:") || ref.contains("?ref=")
        || ref.contains("?version=")) {
      throw remote(where);
    }
    if (ref.startsWith("/")) {
      throw new RenderException(where + " is an absolute path; name files relative to the kustomization, inside the project");
    }
    if (ref.contains("%")) {
      throw new RenderException(where + " contains '%'; name files as they are, not URL-encoded");
    }
    if (ref.contains("\\")) {
      throw new RenderException(where + " contains '\\'; separate directories with '/'");
    }
    List<String> segments = new ArrayList<>(directory.equals(".") ? List.of() : List.of(directory.split("/")));
    for (String segment : ref.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (segments.isEmpty()) {
          throw new RenderException(where + " leaves the project ('..' above its root); kustomize sources read only files of "
              + "their own project");
        }
        segments.remove(segments.size() - 1);
      } else {
        segments.add(segment);
      }
    }
    String target = segments.isEmpty() ? "." : String.join("/", segments);
    String first = ref.split("/")[0];
    if (tree.entry(target).isEmpty() && !tree.isDirectory(target) && first.contains(".") && !first.equals(".")
        && !first.equals("..") && ref.indexOf('/') > 0) {
      throw remote(where); // github.com/org/repo/… : kustomize would clone it
    }
    return target;
  }

  private ProjectTree.Entry regularFile(String target, String where) throws RenderException {
    ProjectTree.Entry entry = tree.entry(target).orElseThrow(() -> new RenderException(where + " is not in the project at commit "
        + tree.commit()));
    if (entry.kind() != ProjectTree.Kind.FILE) {
      throw new RenderException(where + " is a " + (entry.kind() == ProjectTree.Kind.SYMLINK ? "symbolic link" : "submodule")
          + "; a kustomize source reads only regular files");
    }
    return entry;
  }

  private static RenderException remote(String where) {
    return new RenderException(where + " is a remote resource (a URL); Tether renders only what is in the project, so that "
        + "nothing a kustomization says reaches another host: vendor it into the project");
  }

  /** Refuses function configuration that would make kustomize run a program or a container. */
  @SuppressWarnings("unchecked")
  private static void noFunction(String where, byte[] content) throws RenderException {
    List<Node> documents;
    try {
      documents = SafeYaml.readAll(content, LIMITS);
    } catch (YamlProblem e) {
      throw new RenderException(where + " (line " + e.line() + "): " + e.getMessage());
    }
    for (Node document : documents) {
      Object value;
      try {
        value = document == null ? null : YamlValues.toValue(document);
      } catch (YamlProblem e) {
        throw new RenderException(where + " (line " + e.line() + "): " + e.getMessage());
      }
      if (value instanceof Map<?, ?> object && object.get("metadata") instanceof Map<?, ?> metadata
          && metadata.get("annotations") instanceof Map<?, ?> annotations) {
        for (String annotation : FUNCTION_ANNOTATIONS) {
          if (annotations.containsKey(annotation)) {
            String spec = String.valueOf(annotations.get(annotation));
            String kind = spec.contains("exec") ? "an exec" : spec.contains("container") ? "a container" : "a";
            throw new RenderException(where + " declares " + kind + " KRM function (annotation " + annotation + "); Tether does "
                + "not run programs or containers that a kustomization names");
          }
        }
      }
    }
  }

  private static List<String> strings(String file, String field, Object value) throws RenderException {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new RenderException(file + ": " + field + " must be a list");
    }
    List<String> result = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String s)) {
        throw new RenderException(file + ": " + field + "[" + i + "] must be text");
      }
      result.add(s);
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> objects(String file, String field, Object value) throws RenderException {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new RenderException(file + ": " + field + " must be a list");
    }
    List<Map<String, Object>> result = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new RenderException(file + ": " + field + "[" + i + "] must be a mapping");
      }
      result.add((Map<String, Object>) m);
    }
    return result;
  }
}
