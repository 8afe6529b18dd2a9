package dev.tether.common.config;

import dev.tether.common.config.ManifestProject.DryRunStrategy;
import dev.tether.common.config.ManifestProject.InventoryPolicy;
import dev.tether.common.config.ManifestProject.PropagationPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/** Reads one entry of {@code gitops.manifest_projects}: its source ({@code paths}, {@code kustomize} or {@code helm}) and engine keys. */
final class ManifestProjectParser {
  /** Kubernetes label values: inventory ids are stored as one. */
  private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
  private static final String LABEL_VALUE_RULE = "a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', "
      + "starting and ending with a letter or digit";
  private static final Pattern FIELD_MANAGER = Pattern.compile("[A-Za-z0-9][-A-Za-z0-9_.:/]{0,127}");
  private static final String FIELD_MANAGER_RULE = "a field manager name: at most 128 letters, digits and -_.:/";
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
  private static final Pattern REF_NAME = Pattern.compile("(?!-)(?!.*\\.\\.)(?!.*//)(?!.*@\\{)(?!/)(?!.*/$)(?!.*\\.lock$)[^\\x00-\\x20~^:?*\\[\\\\\\x7f]+");

  private ManifestProjectParser() {}

  static Optional<ManifestProject> read(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("id", "ref", "default_namespace", "paths", "kustomize", "helm",
        "reconcile_timeout", "dry_run_strategy", "prune", "prune_timeout", "prune_propagation_policy",
        "inventory_policy", "inventory_id", "drift", "resync_interval", "field_manager", "force_conflicts",
        "prune_when_empty", "name", "depends_on"));
    if (!m.containsKey("id")) {
      r.error(node, path, "'id' is required: the project to take manifests from");
    }
    Optional<String> id = m.containsKey("id") ? r.matching(m.get("id"), path + ".id", ConfigParser.PROJECT_ID, ConfigParser.PROJECT_ID_RULE) : Optional.empty();
    GitRef ref = m.containsKey("ref") ? ref(r, m.get("ref"), path + ".ref") : GitRef.defaultBranch();
    String namespace = m.containsKey("default_namespace")
        ? r.matching(m.get("default_namespace"), path + ".default_namespace", ConfigParser.NAMESPACE, ConfigParser.NAMESPACE_RULE).orElse(null)
        : ManifestProject.DEFAULT_NAMESPACE;
    ManifestSource source = source(r, m, path, namespace);
    Duration reconcileTimeout = ConfigParser.optional(m, "reconcile_timeout", n -> r.duration(n, path + ".reconcile_timeout"),
        ManifestProject.DEFAULT_RECONCILE_TIMEOUT);
    DryRunStrategy dryRun = ConfigParser.optional(m, "dry_run_strategy", n -> r.oneOf(n, path + ".dry_run_strategy", DryRunStrategy.class), DryRunStrategy.NONE);
    boolean prune = ConfigParser.optional(m, "prune", n -> r.bool(n, path + ".prune"), true);
    Duration pruneTimeout = ConfigParser.optional(m, "prune_timeout", n -> r.duration(n, path + ".prune_timeout"), ManifestProject.DEFAULT_TIMEOUT);
    PropagationPolicy propagation = ConfigParser.optional(m, "prune_propagation_policy",
        n -> r.oneOf(n, path + ".prune_propagation_policy", PropagationPolicy.class), PropagationPolicy.FOREGROUND);
    InventoryPolicy inventory = ConfigParser.optional(m, "inventory_policy",
        n -> r.oneOf(n, path + ".inventory_policy", InventoryPolicy.class), InventoryPolicy.MUST_MATCH);
    String inventoryId = ConfigParser.optional(m, "inventory_id",
        n -> r.matching(n, path + ".inventory_id", LABEL_VALUE, LABEL_VALUE_RULE), "");
    ManifestProject.Drift drift = ConfigParser.optional(m, "drift", n -> r.oneOf(n, path + ".drift", ManifestProject.Drift.class),
        ManifestProject.Drift.CORRECT);
    Duration resync = ConfigParser.optional(m, "resync_interval", n -> r.duration(n, path + ".resync_interval", ManifestProject.MIN_RESYNC_INTERVAL,
            "each resync goes over every object of the project with the API server"),
        ManifestProject.DEFAULT_RESYNC_INTERVAL);
    String fieldManager = ConfigParser.optional(m, "field_manager",
        n -> r.matching(n, path + ".field_manager", FIELD_MANAGER, FIELD_MANAGER_RULE), ManifestProject.DEFAULT_FIELD_MANAGER);
    boolean force = ConfigParser.optional(m, "force_conflicts", n -> r.bool(n, path + ".force_conflicts"), true);
    boolean pruneWhenEmpty = ConfigParser.optional(m, "prune_when_empty", n -> r.bool(n, path + ".prune_when_empty"), false);
    Optional<String> name = m.containsKey("name")
        ? r.matching(m.get("name"), path + ".name", ConfigParser.PROJECT_ID, "a name of letters, digits, '.', '_', '-' and '/'")
        : Optional.empty();
    List<String> dependsOn = new ArrayList<>();
    List<Node> needed = r.sequence(m.get("depends_on"), path + ".depends_on");
    for (int i = 0; i < needed.size(); i++) {
      r.matching(needed.get(i), path + ".depends_on[" + i + "]", ConfigParser.PROJECT_ID,
          "the name of another entry (its 'name', or its project id when it has none)").ifPresent(dependsOn::add);
    }
    return id.map(value -> new ManifestProject(value, ref, namespace, source, reconcileTimeout, dryRun, prune,
        pruneTimeout, propagation, inventory, inventoryId, drift, resync, fieldManager, force, pruneWhenEmpty,
        name.orElse(value), dependsOn));
  }

  private static GitRef ref(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("branch", "tag", "commit"));
    if (m.size() != 1) {
      if (m.isEmpty() && r.errors().stream().noneMatch(e -> e.path().startsWith(path))) {
        r.error(node, path, "give exactly one of branch, tag or commit");
      } else if (m.size() > 1) {
        r.error(node, path, "give exactly one of branch, tag or commit, not " + String.join(" and ", m.keySet()));
      }
      return GitRef.defaultBranch();
    }
    Map.Entry<String, Node> only = m.entrySet().iterator().next();
    return switch (only.getKey()) {
      case "commit" -> r.matching(only.getValue(), path + ".commit", COMMIT, "a full commit id (40 or 64 hex digits)")
          .map(c -> new GitRef(GitRef.Kind.COMMIT, c)).orElse(GitRef.defaultBranch());
      case "tag" -> r.matching(only.getValue(), path + ".tag", REF_NAME, "a Git tag name")
          .map(t -> new GitRef(GitRef.Kind.TAG, t)).orElse(GitRef.defaultBranch());
      default -> r.matching(only.getValue(), path + ".branch", REF_NAME, "a Git branch name")
          .map(b -> new GitRef(GitRef.Kind.BRANCH, b)).orElse(GitRef.defaultBranch());
    };
  }

  /** {@code paths} or {@code kustomize}: one entry renders one thing, so the two do not mix. */
  private static ManifestSource source(ConfigNodeReader r, Map<String, Node> m, String path, String namespace) {
    if (m.containsKey("helm")) {
      for (String other : List.of("paths", "kustomize")) {
        if (m.containsKey(other)) {
          r.error(m.get("helm"), path + ".helm", "give one of 'paths', 'kustomize' or 'helm', not 'helm' and '" + other
              + "'; to apply both, list the project twice");
        }
      }
      return HelmSourceParser.helm(r, m.get("helm"), path + ".helm", namespace);
    }
    if (m.containsKey("kustomize")) {
      if (m.containsKey("paths")) {
        r.error(m.get("kustomize"), path + ".kustomize", "give either 'paths' (files applied as they are) or 'kustomize' "
            + "(an overlay the server renders), not both; to apply both, list the project twice");
      }
      return kustomize(r, m.get("kustomize"), path + ".kustomize");
    }
    return new ManifestSource.Raw(m.containsKey("paths") ? paths(r, m.get("paths"), path + ".paths")
        : List.of(ManifestPath.of(ManifestProject.DEFAULT_GLOB)));
  }

  private static ManifestSource.Kustomize kustomize(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("path"));
    if (!m.containsKey("path")) {
      r.error(node, path, "'path' is required: the directory of the project that holds the kustomization file, like path: overlays/prod");
      return new ManifestSource.Kustomize(".");
    }
    return r.string(m.get("path"), path + ".path").map(p -> {
      String problem = directoryProblem(p);
      if (problem != null) {
        r.error(m.get("path"), path + ".path", "'" + p + "' " + problem);
        return ".";
      }
      return normalized(p);
    }).map(ManifestSource.Kustomize::new).orElse(new ManifestSource.Kustomize("."));
  }

  /** Why a directory of the project may not be named so, or null: it must stay inside the project. */
  static String directoryProblem(String dir) {
    if (dir.isBlank()) {
      return "is empty; use '.' for the root of the project";
    }
    if (dir.startsWith("/")) {
      return "is absolute; name the directory relative to the root of the project";
    }
    if (dir.contains("\\")) {
      return "contains '\\'; separate directories with '/'";
    }
    if (dir.contains("%")) {
      return "contains '%'; name the directory as it is, not URL-encoded";
    }
    if (dir.contains("://") || dir.startsWith("git@")) {
      return "is a URL; name a directory of the project (remote sources are not read)";
    }
    for (String segment : normalized(dir).split("/")) {
      if (segment.equals("..")) {
        return "contains '..': the directory must be inside the project";
      }
      if (segment.isEmpty() || segment.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        return "has an empty segment or a control character";
      }
    }
    return null;
  }

  /** Without a leading {@code ./} or trailing {@code /}: {@code overlays/prod}, or {@code .} for the root. */
  static String normalized(String dir) {
    String d = dir;
    while (d.startsWith("./")) {
      d = d.substring(2);
    }
    while (d.endsWith("/") && d.length() > 1) {
      d = d.substring(0, d.length() - 1);
    }
    return d.isEmpty() ? "." : d;
  }

  private static List<ManifestPath> paths(ConfigNodeReader r, Node node, String path) {
    List<ManifestPath> paths = new ArrayList<>();
    List<Node> items = r.sequence(node, path);
    if (items.isEmpty()) {
      r.error(node, path, "list at least one glob, or leave 'paths' out to use " + ManifestProject.DEFAULT_GLOB);
    }
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      Map<String, Node> m = r.mapping(items.get(i), itemPath, Set.of("glob", "exclude"));
      if (!m.containsKey("glob")) {
        r.error(items.get(i), itemPath, "'glob' is required, like glob: 'manifests/**/*.yaml'");
        continue;
      }
      Optional<String> glob = checkedGlob(r, m.get("glob"), itemPath + ".glob");
      List<String> exclude = new ArrayList<>();
      List<Node> excluded = r.sequence(m.get("exclude"), itemPath + ".exclude");
      for (int e = 0; e < excluded.size(); e++) {
        checkedGlob(r, excluded.get(e), itemPath + ".exclude[" + e + "]").ifPresent(exclude::add);
      }
      glob.ifPresent(g -> paths.add(new ManifestPath(g, exclude)));
    }
    return List.copyOf(paths);
  }

  private static Optional<String> checkedGlob(ConfigNodeReader r, Node node, String path) {
    return r.string(node, path).filter(glob -> {
      String problem = globProblem(glob);
      if (problem != null) {
        r.error(node, path, "'" + glob + "' " + problem);
      }
      return problem == null;
    });
  }

  /** Why a glob may not be used, or null. Globs select inside the repository and nowhere else. */
  static String globProblem(String glob) {
    if (glob.isBlank()) {
      return "is empty";
    }
    if (glob.contains("\\")) {
      return "contains '\\'; separate directories with '/'";
    }
    for (String segment : glob.split("/")) {
      if (segment.equals("..")) {
        return "contains '..': globs select files inside the repository only";
      }
    }
    try {
      ManifestGlob.compile(glob);
    } catch (ManifestGlob.InvalidGlob e) {
      return e.problem();
    }
    return null;
  }

}
