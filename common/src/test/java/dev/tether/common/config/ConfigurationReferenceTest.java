package dev.tether.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Holds docs/configuration.md to the parser. The key paths, types and defaults in the reference
 * tables (those headed {@code | key | type | default | meaning |}) are compared with what
 * {@link ConfigParser} really does, and every {@code yaml} block in the document is parsed: it must
 * be valid, unless the line before it is {@code <!-- invalid -->}, in which case the block after it
 * holds the exact errors it must be refused with.
 *
 * <p>The keys the parser accepts are found by asking the parser itself: an unknown key is an error
 * that lists the keys known at that place, and a missing required key is an error naming it. So a
 * key added to or removed from the parser shows up here without a list to keep in step.
 */
class ConfigurationReferenceTest {
  private static final Path DOC = Path.of("..", "docs", "configuration.md");
  private static final String FILE = ".gitlab/agents/prod/config.yaml";
  private static final String PROBE = "zz_probe";
  private static final Pattern KNOWN_KEYS = Pattern.compile("unknown key '" + PROBE + "'; known keys here: (.*)");
  private static final Pattern REQUIRED = Pattern.compile("'([a-z_]+)' is required.*");
  private static final Pattern TICKED = Pattern.compile("`([^`]+)`");
  /** How the parser refuses a word where it wants a duration, a boolean or one of a few values. */
  private static final Pattern NARROWER_TYPE = Pattern.compile("is not a duration|expected true or false|is not one of");
  private static final String INVALID_MARKER = "<!-- invalid -->";

  /** Valid values for keys an entry cannot go without, to build the smallest documents that reach a key. */
  private static final Map<String, String> SAMPLES = Map.of(
      "id", "group/app", "glob", "'manifests/*.yaml'", "username", "deployer", "key", "team", "val", "[platform]", "path", "overlays/prod",
      "chart", "charts/web", "release_name", "web", "source", "{project: {id: group/charts}}", "project", "{id: group/charts}");

  /** Defaults the reference states in words rather than as a value, and what the parser must fill in. */
  private static final Map<String, WordedDefault> WORDED_DEFAULTS = Map.ofEntries(
      Map.entry("gitops.manifest_projects[].kustomize", new WordedDefault("none",
          c -> c.gitops().manifestProjects().get(0).source() instanceof ManifestSource.Raw)),
      Map.entry("gitops.manifest_projects[].helm", new WordedDefault("none",
          c -> c.gitops().manifestProjects().get(0).source() instanceof ManifestSource.Raw)),
      Map.entry("gitops.manifest_projects[].helm.namespace", new WordedDefault("the entry's `default_namespace`",
          c -> ((ManifestSource.Helm) c.gitops().manifestProjects().get(0).source()).namespace()
              .equals(c.gitops().manifestProjects().get(0).defaultNamespace()))),
      Map.entry("gitops.manifest_projects[].helm.repository", new WordedDefault("none",
          c -> !((ManifestSource.Helm) c.gitops().manifestProjects().get(0).source()).fromRepository())),
      Map.entry("gitops.manifest_projects[].helm.version", new WordedDefault("none",
          c -> ((ManifestSource.Helm) c.gitops().manifestProjects().get(0).source()).version() == null)),
      // Accepted for GitLab files and unused: there is nothing it fills in.
      Map.entry("gitops.charts[].max_history", new WordedDefault("none", c -> true)),
      Map.entry("gitops.manifest_projects[].ref", new WordedDefault("the default branch",
          c -> c.gitops().manifestProjects().get(0).ref().equals(GitRef.defaultBranch()))),
      Map.entry("gitops.manifest_projects[].inventory_id", new WordedDefault("derived from the agent and project",
          c -> c.gitops().manifestProjects().get(0).inventoryId().isEmpty())),
      Map.entry("gitops.manifest_projects[].name", new WordedDefault("the entry's `id`",
          c -> c.gitops().manifestProjects().get(0).name().equals(c.gitops().manifestProjects().get(0).id()))),
      Map.entry("ci_access.projects[].default_namespace", new WordedDefault("none",
          c -> c.ciAccess().projects().get(0).defaultNamespace() == null)),
      Map.entry("ci_access.groups[].default_namespace", new WordedDefault("none",
          c -> c.ciAccess().groups().get(0).defaultNamespace() == null)));

  /** Lists of text that must name other entries of the same file, so a sample value alone is refused for naming none. */
  private static final Set<String> NAMES_OF_ENTRIES = Set.of("gitops.manifest_projects[].depends_on");

  private record WordedDefault(String phrase, Predicate<AgentConfig> holds) {}

  private enum Shape { MAPPING, LIST, VALUE }

  /** What the parser accepts: every key path with its shape, and the required keys of each mapping. */
  private static final class Schema {
    final Map<String, Shape> shapes = new TreeMap<>();
    final Map<String, Set<String>> children = new TreeMap<>();
    /** By the path of the mapping that needs them ("" for the document, "a.b[]" for the items of list a.b). */
    final Map<String, Set<String>> required = new TreeMap<>();

    Set<String> requiredPaths() {
      Set<String> paths = new TreeSet<>();
      required.forEach((mapping, names) -> names.forEach(n -> paths.add(mapping.isEmpty() ? n : mapping + "." + n)));
      return paths;
    }
  }

  /** A row of a reference table. */
  private record Row(String key, String type, String defaultValue, int line) {
    String where() {
      return "docs/configuration.md line " + line + ", `" + key + "`";
    }
  }

  /** A fenced block of the document. */
  private record Block(String language, String content, int line, boolean markedInvalid) {}

  private static List<String> doc;
  private static Schema schema;
  private static List<Row> rows;

  @BeforeAll
  static void readDocumentAndParser() throws IOException {
    doc = Files.readAllLines(DOC, StandardCharsets.UTF_8);
    schema = discover();
    rows = referenceRows(doc);
  }

  @Test
  void everyKeyTheParserAcceptsIsDocumentedAndNoOther() {
    assertThat(schema.shapes).as("keys found by probing the parser").containsKeys(
        "gitops", "gitops.manifest_projects[].paths[].glob", "ci_access.groups[].access_as.impersonate.extra[].val",
        "user_access.access_as.user", "observability.logging.level");
    List<String> documented = rows.stream().map(Row::key).toList();

    Set<String> undocumented = new TreeSet<>(schema.shapes.keySet());
    undocumented.removeAll(documented);
    Set<String> unknown = new TreeSet<>(documented);
    unknown.removeAll(schema.shapes.keySet());

    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(documented).as("key paths documented twice").doesNotHaveDuplicates();
    soft.assertThat(undocumented).as("keys the parser accepts that the reference tables of docs/configuration.md lack")
        .isEmpty();
    soft.assertThat(unknown).as("keys in the reference tables of docs/configuration.md that the parser refuses").isEmpty();
    soft.assertAll();
  }

  @Test
  void documentedTypesAndAllowedValuesMatchTheParser() {
    SoftAssertions soft = new SoftAssertions();
    for (Row row : rows) {
      Shape shape = schema.shapes.get(row.key());
      if (shape == null) {
        continue; // reported by everyKeyTheParserAcceptsIsDocumentedAndNoOther
      }
      String type = row.type();
      if (type.equals("empty mapping")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.MAPPING);
        soft.assertThat(schema.children.get(row.key())).as(row.where() + ": keys inside").isEmpty();
      } else if (type.equals("mapping")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.MAPPING);
        soft.assertThat(schema.children.get(row.key())).as(row.where() + ": keys inside").isNotEmpty();
      } else if (type.equals("map of values")) {
        // Free-form: any keys, as in a Helm values file.
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        soft.assertThat(errorsOf(document(row.key(), "{a: 1, b: {c: [x]}}"))).as(row.where()).isEmpty();
        soft.assertThat(messagesAt(errorsOf(document(row.key(), PROBE)), concrete(row.key()))).as(row.where())
            .anySatisfy(m -> assertThat(m).startsWith("must be a map of values"));
      } else if (type.equals("list of mappings")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.LIST);
      } else if (type.equals("text")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        soft.assertThat(messagesAt(errorsOf(document(row.key(), "{}")), concrete(row.key()))).as(row.where())
            .anySatisfy(m -> assertThat(m).startsWith("expected a text value"));
        soft.assertThat(messagesAt(errorsOf(document(row.key(), PROBE)), concrete(row.key()))).as(row.where()
            + ": plain text, not a value of a narrower type").noneMatch(NARROWER_TYPE.asPredicate());
      } else if (type.equals("list of text")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        soft.assertThat(messagesAt(errorsOf(document(row.key(), "[{}]")), concrete(row.key()) + "[0]")).as(row.where())
            .anySatisfy(m -> assertThat(m).startsWith("expected a text value"));
        if (NAMES_OF_ENTRIES.contains(row.key())) {
          // Names of other entries: in a document of one entry, text is taken and then found to name none.
          soft.assertThat(messagesAt(errorsOf(document(row.key(), "[a]")), concrete(row.key()) + "[0]")).as(row.where())
              .singleElement().satisfies(m -> assertThat(m).startsWith("no entry of this agent is named 'a'"));
        } else {
          soft.assertThat(errorsOf(document(row.key(), "[a, b]"))).as(row.where()).isEmpty();
        }
      } else if (type.equals("boolean")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        soft.assertThat(messagesAt(errorsOf(document(row.key(), "yes")), concrete(row.key()))).as(row.where())
            .containsExactly("expected true or false, found the text 'yes'");
        soft.assertThat(errorsOf(document(row.key(), "true"))).as(row.where()).isEmpty();
        soft.assertThat(errorsOf(document(row.key(), "false"))).as(row.where()).isEmpty();
      } else if (type.equals("duration")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        soft.assertThat(messagesAt(errorsOf(document(row.key(), "'10'")), concrete(row.key()))).as(row.where())
            .hasSize(1).allSatisfy(m -> assertThat(m).contains("is not a duration"));
        soft.assertThat(errorsOf(document(row.key(), "1h30m"))).as(row.where()).isEmpty();
      } else if (type.startsWith("one of ")) {
        soft.assertThat(shape).as(row.where()).isEqualTo(Shape.VALUE);
        List<String> allowed = ticked(type);
        soft.assertThat(messagesAt(errorsOf(document(row.key(), PROBE)), concrete(row.key()))).as(row.where())
            .containsExactly("'" + PROBE + "' is not one of: " + String.join(", ", allowed));
        for (String value : allowed) {
          soft.assertThat(errorsOf(document(row.key(), value))).as(row.where() + ": " + value).isEmpty();
        }
      } else {
        soft.fail(row.where() + ": type '" + type + "' is none of: mapping, empty mapping, list of mappings, text, "
            + "list of text, boolean, duration, one of `a`, `b`");
      }
    }
    soft.assertAll();
  }

  @Test
  void statedDefaultsAreWhatTheParserFillsIn() {
    SoftAssertions soft = new SoftAssertions();
    Set<String> documentedRequired = new TreeSet<>();
    for (Row row : rows) {
      if (!schema.shapes.containsKey(row.key())) {
        continue; // reported by everyKeyTheParserAcceptsIsDocumentedAndNoOther
      }
      String stated = row.defaultValue();
      Matcher value = TICKED.matcher(stated);
      if (stated.equals("required")) {
        documentedRequired.add(row.key());
      } else if (stated.equals("—")) {
        String parent = row.key().substring(0, row.key().lastIndexOf('.'));
        // The alternatives may be keys of a mapping, or of each item of a list (an empty item then).
        boolean item = parent.endsWith("[]");
        String holder = item ? parent.substring(0, parent.length() - 2) : parent;
        soft.assertThat(messagesAt(errorsOf(document(holder, item ? "[{}]" : "{}")), concrete(parent))).as(row.where()
            + ": '—' is for the alternatives of a key that needs exactly one").hasSize(1)
            .allSatisfy(m -> assertThat(m).startsWith("give exactly one of"));
      } else if (value.matches()) {
        Optional<AgentConfig> leftOut = parsed(soft, row.where() + ", left out", document(row.key(), null));
        Optional<AgentConfig> written = parsed(soft, row.where() + ", written", document(row.key(), value.group(1)));
        if (leftOut.isEmpty() || written.isEmpty()) {
          continue;
        }
        soft.assertThat(written.get()).as(row.where() + ": writing the stated default gives what leaving the key out gives")
            .isEqualTo(leftOut.get());
        // And the default is not just any value: every other allowed one makes a difference.
        List<String> others = new ArrayList<>();
        if (row.type().startsWith("one of ")) {
          others.addAll(ticked(row.type()));
        } else if (row.type().equals("boolean")) {
          others.addAll(List.of("true", "false"));
        }
        others.remove(value.group(1));
        for (String other : others) {
          parsed(soft, row.where() + ": " + other, document(row.key(), other)).ifPresent(c ->
              soft.assertThat(c).as(row.where() + ": " + other + " differs from the default").isNotEqualTo(leftOut.get()));
        }
      } else {
        WordedDefault worded = WORDED_DEFAULTS.get(row.key());
        if (worded == null) {
          soft.fail(row.where() + ": default '" + stated + "' is neither `a value`, required nor —; "
              + "if it must be words, add what it means to WORDED_DEFAULTS");
          continue;
        }
        soft.assertThat(stated).as(row.where()).isEqualTo(worded.phrase());
        parsed(soft, row.where() + ", left out", document(row.key(), null)).ifPresent(c ->
            soft.assertThat(worded.holds().test(c)).as(row.where() + ": " + stated).isTrue());
      }
    }
    Set<String> requiredUndocumented = new TreeSet<>(schema.requiredPaths());
    requiredUndocumented.removeAll(documentedRequired);
    Set<String> notRequired = new TreeSet<>(documentedRequired);
    notRequired.removeAll(schema.requiredPaths());
    soft.assertThat(requiredUndocumented).as("keys the parser requires that are not documented as required").isEmpty();
    soft.assertThat(notRequired).as("keys documented as required that the parser does not require").isEmpty();
    soft.assertAll();
  }

  @Test
  void everyYamlExampleIsValidAndEveryInvalidOneIsRefusedAsShown() {
    List<Block> blocks = blocks(doc);
    List<Block> yaml = blocks.stream().filter(b -> b.language().equals("yaml")).toList();
    assertThat(yaml).as("yaml blocks").anyMatch(Block::markedInvalid).anyMatch(b -> !b.markedInvalid());
    assertThat(doc.stream().filter(l -> l.strip().equals(INVALID_MARKER)).count())
        .as("every " + INVALID_MARKER + " comes right before a yaml block")
        .isEqualTo(yaml.stream().filter(Block::markedInvalid).count());

    SoftAssertions soft = new SoftAssertions();
    for (int i = 0; i < blocks.size(); i++) {
      Block block = blocks.get(i);
      if (!block.language().equals("yaml")) {
        continue;
      }
      String where = "docs/configuration.md, yaml block at line " + block.line();
      if (!block.markedInvalid()) {
        soft.assertThat(errorsOf(block.content())).as(where + " must be a valid configuration").isEmpty();
        continue;
      }
      Optional<Block> shown = i + 1 < blocks.size() ? Optional.of(blocks.get(i + 1)) : Optional.empty();
      if (shown.isEmpty() || !shown.get().language().equals("text")) {
        soft.fail(where + " is marked invalid: the next block must be ```text with the errors");
        continue;
      }
      soft.assertThat(errorsOf(block.content()).stream().map(ConfigError::toString).collect(Collectors.joining("\n")))
          .as(where + " is refused with the errors in the block at line " + shown.get().line())
          .isEqualTo(shown.get().content().strip());
    }
    soft.assertAll();
  }

  // --- what the parser accepts, found by probing it ---

  private static Schema discover() {
    Schema s = new Schema();
    List<ConfigError> errors = errorsOf("{" + PROBE + ": 1}");
    Set<String> top = knownKeys(errors, PROBE).orElseThrow(() ->
        new AssertionError("the parser no longer lists the known keys of an unknown key's place: " + errors));
    s.required.put("", requiredAt(errors, ""));
    for (String key : top) {
      explore(s, key);
    }
    return s;
  }

  /** Finds out whether {@code path} holds a mapping, a list of mappings or a value, and explores what is inside. */
  private static void explore(Schema s, String path) {
    List<ConfigError> asMapping = errorsOf(document(s, path, "{" + PROBE + ": 1}"));
    Optional<Set<String>> keys = knownKeys(asMapping, concrete(path) + "." + PROBE);
    if (keys.isPresent()) {
      s.shapes.put(path, Shape.MAPPING);
      s.children.put(path, keys.get());
      s.required.put(path, requiredAt(asMapping, concrete(path)));
      keys.get().forEach(k -> explore(s, path + "." + k));
      return;
    }
    List<ConfigError> asList = errorsOf(document(s, path, "[{" + PROBE + ": 1}]"));
    keys = knownKeys(asList, concrete(path) + "[0]." + PROBE);
    if (keys.isPresent()) {
      s.shapes.put(path, Shape.LIST);
      s.children.put(path, keys.get());
      s.required.put(path + "[]", requiredAt(asList, concrete(path) + "[0]"));
      keys.get().forEach(k -> explore(s, path + "[]." + k));
      return;
    }
    s.shapes.put(path, Shape.VALUE);
  }

  private static Optional<Set<String>> knownKeys(List<ConfigError> errors, String probePath) {
    return errors.stream().filter(e -> e.path().equals(probePath)).map(e -> KNOWN_KEYS.matcher(e.message()))
        .filter(Matcher::matches).findFirst()
        .map(m -> m.group(1).isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(m.group(1).split(", "))));
  }

  private static Set<String> requiredAt(List<ConfigError> errors, String path) {
    return errors.stream().filter(e -> e.path().equals(path)).map(e -> REQUIRED.matcher(e.message()))
        .filter(Matcher::matches).map(m -> m.group(1)).collect(Collectors.toCollection(TreeSet::new));
  }

  /**
   * The smallest document with {@code value} (YAML flow text) at key path {@code path}, or with that
   * key left out when {@code value} is null; every mapping on the way gets its required keys.
   */
  private static String document(String path, String value) {
    return document(schema, path, value);
  }

  private static String document(Schema s, String path, String value) {
    return mapping(s, path.split("\\."), 0, "", value);
  }

  private static String mapping(Schema s, String[] segments, int i, String at, String value) {
    String segment = segments[i];
    boolean list = segment.endsWith("[]");
    String name = list ? segment.substring(0, segment.length() - 2) : segment;
    List<String> entries = new ArrayList<>();
    for (String required : s.required.getOrDefault(at, Set.of())) {
      if (!required.equals(name)) {
        String sample = SAMPLES.get(required);
        if (sample == null) {
          throw new AssertionError("'" + required + "' is required at '" + at + "': add a valid value for it to SAMPLES");
        }
        entries.add(required + ": " + sample);
      }
    }
    if (i == segments.length - 1) {
      if (value != null) {
        entries.add(name + ": " + value);
      }
    } else {
      String inner = mapping(s, segments, i + 1, at.isEmpty() ? segment : at + "." + segment, value);
      entries.add(name + ": " + (list ? "[" + inner + "]" : inner));
    }
    return "{" + String.join(", ", entries) + "}";
  }

  /** The path an error names for the first item of each list on the way. */
  private static String concrete(String path) {
    return path.replace("[]", "[0]");
  }

  // --- parsing ---

  private static AgentConfig parse(String yaml) throws InvalidConfigException {
    return ConfigParser.parse("prod", FILE, yaml.getBytes(StandardCharsets.UTF_8));
  }

  private static Optional<AgentConfig> parsed(SoftAssertions soft, String where, String yaml) {
    try {
      return Optional.of(parse(yaml));
    } catch (InvalidConfigException e) {
      soft.fail(where + ": " + yaml + " is refused: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static List<ConfigError> errorsOf(String yaml) {
    try {
      parse(yaml);
      return List.of();
    } catch (InvalidConfigException e) {
      return e.errors();
    }
  }

  private static List<String> messagesAt(List<ConfigError> errors, String path) {
    return errors.stream().filter(e -> e.path().equals(path)).map(ConfigError::message).toList();
  }

  // --- reading the document ---

  private static List<Row> referenceRows(List<String> lines) {
    List<Row> result = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).replace(" ", "").startsWith("|key|type|default|meaning|")) {
        continue;
      }
      for (i += 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
        String[] cells = lines.get(i).split("\\|", -1);
        Matcher key = TICKED.matcher(cells[1].strip());
        if (!key.matches()) {
          throw new AssertionError("docs/configuration.md line " + (i + 1) + ": the first cell must be one `key.path`");
        }
        for (String path : expandAlternatives(key.group(1))) {
          result.add(new Row(path, cells[2].strip(), cells[3].strip(), i + 1));
        }
      }
    }
    assertThat(result).as("rows of the reference tables in docs/configuration.md").isNotEmpty();
    return result;
  }

  /** {@code a.{b,c}.d} is {@code a.b.d} and {@code a.c.d}. */
  private static List<String> expandAlternatives(String path) {
    int open = path.indexOf('{');
    if (open < 0) {
      return List.of(path);
    }
    int close = path.indexOf('}', open);
    List<String> result = new ArrayList<>();
    for (String choice : path.substring(open + 1, close).split(",")) {
      result.addAll(expandAlternatives(path.substring(0, open) + choice + path.substring(close + 1)));
    }
    return result;
  }

  private static List<String> ticked(String text) {
    Set<String> values = new LinkedHashSet<>();
    Matcher m = TICKED.matcher(text);
    while (m.find()) {
      values.add(m.group(1));
    }
    return List.copyOf(values);
  }

  /** Fenced blocks, also those indented inside list items (their indentation is removed). */
  private static List<Block> blocks(List<String> lines) {
    List<Block> result = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.strip().startsWith("```")) {
        continue;
      }
      int indent = line.indexOf('`');
      String language = line.strip().substring(3).strip();
      int start = i;
      String before = "";
      for (int j = i - 1; j >= 0 && before.isEmpty(); j--) {
        before = lines.get(j).strip();
      }
      StringBuilder content = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
        String text = lines.get(i);
        int cut = 0;
        while (cut < indent && cut < text.length() && text.charAt(cut) == ' ') {
          cut++;
        }
        content.append(text.substring(cut)).append('\n');
      }
      result.add(new Block(language, content.toString(), start + 1, before.equals(INVALID_MARKER)));
    }
    return result;
  }
}
