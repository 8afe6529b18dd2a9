package dev.tether.common.config;

import dev.tether.common.config.Observability.LogLevel;
import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads an agent's {@code config.yaml} into an {@link AgentConfig}, filling in defaults, or reports
 * every problem with the file, line, column and key path. Unknown keys are errors: a typo must not
 * silently disable a feature.
 */
public final class ConfigParser {
  /** Project ids as Git hosts write them: {@code group/subgroup/app}. */
  public static final Pattern PROJECT_ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*");
  static final String PROJECT_ID_RULE = "use path segments of letters, digits, '.', '_' and '-', "
      + "separated by '/', like group/app";
  static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  static final String NAMESPACE_RULE = "a Kubernetes namespace name: lower-case letters, digits and '-', at most 63";

  private ConfigParser() {}

  /**
   * Parses agent {@code agentName}'s configuration; the name is needed because an entry without
   * {@code inventory_id} uses one derived from it, which another entry's must not equal.
   */
  public static AgentConfig parse(String agentName, String file, byte[] content) throws InvalidConfigException {
    Optional<Node> root;
    try {
      root = SafeYaml.readOne(content, YamlLimits.CONFIG);
    } catch (YamlProblem e) {
      throw new InvalidConfigException(List.of(new ConfigError(file, e.line(), e.column(), "", e.getMessage())));
    }
    if (root.isEmpty()) {
      return AgentConfig.empty();
    }
    ConfigNodeReader r = new ConfigNodeReader(file);
    Map<String, Node> top = r.mapping(root.get(), "", Set.of("gitops", "ci_access", "user_access", "observability"));
    AgentConfig defaults = AgentConfig.empty();
    AgentConfig config = new AgentConfig(
        top.containsKey("gitops") ? gitops(r, top.get("gitops"), agentName) : defaults.gitops(),
        top.containsKey("ci_access") ? ciAccess(r, top.get("ci_access")) : defaults.ciAccess(),
        top.containsKey("user_access") ? userAccess(r, top.get("user_access")) : defaults.userAccess(),
        top.containsKey("observability") ? observability(r, top.get("observability")) : defaults.observability());
    if (!r.errors().isEmpty()) {
      throw new InvalidConfigException(r.errors());
    }
    return config;
  }

  private static Gitops gitops(ConfigNodeReader r, Node node, String agentName) {
    Map<String, Node> m = r.mapping(node, "gitops", Set.of("manifest_projects", "charts"));
    List<ManifestProject> projects = new ArrayList<>();
    List<Node> items = new ArrayList<>(r.sequence(m.get("manifest_projects"), "gitops.manifest_projects"));
    int manifestProjects = items.size();
    // GitLab's experimental charts entries are Helm sources on entries of their own, after the manifest projects.
    items.addAll(r.sequence(m.get("charts"), "gitops.charts"));
    Map<String, Integer> entryByInventory = new java.util.HashMap<>();
    Map<Integer, ManifestProject> byEntry = new java.util.HashMap<>();
    List<SourceOrder.Entry> ordered = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      int index = i;
      String entryPath = i < manifestProjects ? "gitops.manifest_projects[" + i + "]" : "gitops.charts[" + (i - manifestProjects) + "]";
      (i < manifestProjects ? ManifestProjectParser.read(r, items.get(i), entryPath)
          : HelmSourceParser.chart(r, items.get(i), entryPath)).ifPresent(p -> {
        // Each entry keeps its own inventory, or the two would prune each other's objects.
        Integer earlier = entryByInventory.putIfAbsent(p.inventoryIdFor(agentName), index);
        if (earlier != null) {
          r.error(items.get(index), entryPath, "shares its inventory with entry " + earlier
              + " (" + sharedInventory(agentName, byEntry.get(earlier), earlier, p, index) + "); give one of them its own inventory_id");
        }
        byEntry.put(index, p);
        projects.add(p);
        ordered.add(new SourceOrder.Entry(p, entryPath, items.get(index)));
      });
    }
    SourceOrder.check(r, ordered);
    return new Gitops(List.copyOf(projects));
  }

  private static String sharedInventory(String agentName, ManifestProject first, int firstIndex, ManifestProject second,
      int secondIndex) {
    if (first.inventoryId().isEmpty() && second.inventoryId().isEmpty()) {
      return "same project " + second.id();
    }
    String id = second.inventoryIdFor(agentName);
    if (!first.inventoryId().isEmpty() && !second.inventoryId().isEmpty()) {
      return "same inventory_id " + id;
    }
    ManifestProject derived = first.inventoryId().isEmpty() ? first : second;
    return "inventory id " + id + ", which entry " + (derived == first ? firstIndex : secondIndex)
        + " derives from agent " + agentName + " and project " + derived.id() + " as it has no inventory_id";
  }

  private static CiAccess ciAccess(ConfigNodeReader r, Node node) {
    Map<String, Node> m = r.mapping(node, "ci_access", Set.of("projects", "groups"));
    return new CiAccess(grants(r, m.get("projects"), "ci_access.projects"), grants(r, m.get("groups"), "ci_access.groups"));
  }

  private static List<CiAccess.Grant> grants(ConfigNodeReader r, Node node, String path) {
    List<CiAccess.Grant> grants = new ArrayList<>();
    List<Node> items = r.sequence(node, path);
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      Map<String, Node> m = r.mapping(items.get(i), itemPath, Set.of("id", "default_namespace", "access_as", "environments"));
      if (!m.containsKey("id")) {
        r.error(items.get(i), itemPath, "'id' is required");
        continue;
      }
      Optional<String> id = r.matching(m.get("id"), itemPath + ".id", PROJECT_ID, PROJECT_ID_RULE);
      // An id may be listed again for other environments, each entry with its own access_as; the first entry that fits a
      // job wins, so an entry after one without environments (which fits every job) would never be used: say so instead.
      if (id.isPresent() && grants.stream().anyMatch(g -> g.id().equals(id.get()) && g.environments().isEmpty())) {
        r.error(m.get("id"), itemPath + ".id", "'" + id.get() + "' is listed twice, and the earlier entry lists no environments, "
            + "so it lets in every job and this one is never used; keep one entry, or give the earlier one environments");
        continue;
      }
      String namespace = m.containsKey("default_namespace")
          ? r.matching(m.get("default_namespace"), itemPath + ".default_namespace", NAMESPACE, NAMESPACE_RULE).orElse(null)
          : null;
      AccessAs accessAs = m.containsKey("access_as")
          ? accessAs(r, m.get("access_as"), itemPath + ".access_as", Set.of("agent", "impersonate", "ci_job"))
          : new AccessAs.Agent();
      List<String> environments = r.strings(m.get("environments"), itemPath + ".environments");
      id.ifPresent(value -> grants.add(new CiAccess.Grant(value, namespace, accessAs, List.copyOf(environments))));
    }
    return List.copyOf(grants);
  }

  private static UserAccess userAccess(ConfigNodeReader r, Node node) {
    Map<String, Node> m = r.mapping(node, "user_access", Set.of("access_as", "projects", "groups"));
    AccessAs accessAs = m.containsKey("access_as")
        ? accessAs(r, m.get("access_as"), "user_access.access_as", Set.of("agent", "user"))
        : new AccessAs.Agent();
    return new UserAccess(accessAs, ids(r, m.get("projects"), "user_access.projects"), ids(r, m.get("groups"), "user_access.groups"));
  }

  private static List<String> ids(ConfigNodeReader r, Node node, String path) {
    List<String> ids = new ArrayList<>();
    List<Node> items = r.sequence(node, path);
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + "[" + i + "]";
      Map<String, Node> m = r.mapping(items.get(i), itemPath, Set.of("id"));
      if (!m.containsKey("id")) {
        r.error(items.get(i), itemPath, "'id' is required");
        continue;
      }
      r.matching(m.get("id"), itemPath + ".id", PROJECT_ID, PROJECT_ID_RULE).ifPresent(id -> {
        if (ids.contains(id)) {
          r.error(m.get("id"), itemPath + ".id", "'" + id + "' is listed twice; keep one entry");
        } else {
          ids.add(id);
        }
      });
    }
    return List.copyOf(ids);
  }

  private static AccessAs accessAs(ConfigNodeReader r, Node node, String path, Set<String> allowed) {
    Map<String, Node> m = r.mapping(node, path, allowed);
    if (m.size() != 1) {
      if (m.size() > 1 || r.errors().stream().noneMatch(e -> e.path().startsWith(path))) {
        r.error(node, path, "give exactly one of: " + String.join(", ", new java.util.TreeSet<>(allowed)));
      }
      return new AccessAs.Agent();
    }
    Map.Entry<String, Node> only = m.entrySet().iterator().next();
    String kindPath = path + "." + only.getKey();
    return switch (only.getKey()) {
      case "impersonate" -> impersonate(r, only.getValue(), kindPath);
      case "ci_job" -> {
        r.mapping(only.getValue(), kindPath, Set.of());
        yield new AccessAs.CiJob();
      }
      case "user" -> {
        r.mapping(only.getValue(), kindPath, Set.of());
        yield new AccessAs.User();
      }
      default -> {
        r.mapping(only.getValue(), kindPath, Set.of());
        yield new AccessAs.Agent();
      }
    };
  }

  private static AccessAs impersonate(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("username", "uid", "groups", "extra"));
    if (!m.containsKey("username")) {
      r.error(node, path, "'username' is required: the user the agent impersonates");
    }
    String username = m.containsKey("username") ? r.string(m.get("username"), path + ".username").orElse("") : "";
    if (m.containsKey("username") && username.isBlank()) {
      r.error(m.get("username"), path + ".username", "must not be empty");
    }
    String uid = m.containsKey("uid") ? r.string(m.get("uid"), path + ".uid").orElse("") : "";
    List<String> groups = nonEmptyStrings(r, m.get("groups"), path + ".groups");
    // The API server takes each of these as an Impersonate-* header: an empty one or a key given
    // twice would not mean what the file seems to say, so they are refused here rather than sent.
    Map<String, List<String>> extra = new LinkedHashMap<>();
    List<Node> items = r.sequence(m.get("extra"), path + ".extra");
    for (int i = 0; i < items.size(); i++) {
      String itemPath = path + ".extra[" + i + "]";
      Map<String, Node> e = r.mapping(items.get(i), itemPath, Set.of("key", "val"));
      if (!e.containsKey("key")) {
        r.error(items.get(i), itemPath, "'key' is required");
      }
      if (!e.containsKey("val")) {
        r.error(items.get(i), itemPath, "'val' is required, with at least one value");
      }
      if (!e.containsKey("key") || !e.containsKey("val")) {
        continue;
      }
      Optional<String> key = r.string(e.get("key"), itemPath + ".key");
      if (key.isEmpty()) {
        continue;
      }
      if (key.get().isBlank()) {
        r.error(e.get("key"), itemPath + ".key", "must not be empty");
      } else if (extra.containsKey(key.get())) {
        r.error(e.get("key"), itemPath + ".key", "'" + key.get() + "' is listed twice; put all its values in one entry's val");
      } else {
        List<String> values = nonEmptyStrings(r, e.get("val"), itemPath + ".val");
        if (values.isEmpty() && r.sequence(e.get("val"), itemPath + ".val").isEmpty()) {
          r.error(e.get("val"), itemPath + ".val", "list at least one value");
        }
        extra.put(key.get(), values);
      }
    }
    return new AccessAs.Impersonate(username, uid, List.copyOf(groups), Map.copyOf(extra));
  }

  private static List<String> nonEmptyStrings(ConfigNodeReader r, Node node, String path) {
    List<String> values = new ArrayList<>();
    List<Node> items = r.sequence(node, path);
    for (int i = 0; i < items.size(); i++) {
      Node item = items.get(i);
      String itemPath = path + "[" + i + "]";
      r.string(item, itemPath).ifPresent(value -> {
        if (value.isBlank()) {
          r.error(item, itemPath, "must not be empty");
        } else {
          values.add(value);
        }
      });
    }
    return values;
  }

  private static Observability observability(ConfigNodeReader r, Node node) {
    Map<String, Node> m = r.mapping(node, "observability", Set.of("logging"));
    Map<String, Node> logging = r.mapping(m.get("logging"), "observability.logging", Set.of("level", "grpc_level"));
    Observability defaults = Observability.defaults();
    return new Observability(
        optional(logging, "level", n -> r.oneOf(n, "observability.logging.level", LogLevel.class), defaults.loggingLevel()),
        optional(logging, "grpc_level", n -> r.oneOf(n, "observability.logging.grpc_level", LogLevel.class), defaults.grpcLevel()));
  }

  static <T> T optional(Map<String, Node> m, String key, java.util.function.Function<Node, Optional<T>> read, T fallback) {
    return m.containsKey(key) ? read.apply(m.get(key)).orElse(fallback) : fallback;
  }
}
