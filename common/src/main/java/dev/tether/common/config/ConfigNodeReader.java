package dev.tether.common.config;

import dev.tether.common.yaml.SafeYaml;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Strict, typed reading of a YAML node tree that collects every error with its file, line, column
 * and key path instead of stopping at the first. Readers return empty when a value is wrong, so
 * the caller can go on and find the next problem.
 */
final class ConfigNodeReader {
  private final String file;
  private final List<ConfigError> errors = new ArrayList<>();

  ConfigNodeReader(String file) {
    this.file = file;
  }

  List<ConfigError> errors() {
    return errors;
  }

  void error(Node at, String path, String message) {
    errors.add(new ConfigError(file, at == null ? 0 : SafeYaml.line(at), at == null ? 0 : SafeYaml.column(at), path, message));
  }

  /**
   * The keys of a mapping, each checked against {@code known}. A null node (an empty value, as in
   * {@code agent:}) is an empty mapping.
   */
  Map<String, Node> mapping(Node node, String path, Set<String> known) {
    Map<String, Node> result = new LinkedHashMap<>();
    if (node == null || SafeYaml.isNull(node)) {
      return result;
    }
    if (!(node instanceof MappingNode mapping)) {
      error(node, path, "expected a mapping (key: value), found " + describe(node));
      return result;
    }
    Map<String, Node> firstSeen = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      Node keyNode = tuple.getKeyNode();
      if (!(keyNode instanceof ScalarNode key) || SafeYaml.isNull(keyNode)) {
        error(keyNode, path, "keys must be plain names, found " + describe(keyNode));
        continue;
      }
      String name = key.getValue();
      String keyPath = path.isEmpty() ? name : path + "." + name;
      if (firstSeen.containsKey(name)) {
        error(keyNode, keyPath, "duplicate key '" + name + "' (first at line " + SafeYaml.line(firstSeen.get(name)) + ")");
        continue;
      }
      firstSeen.put(name, keyNode);
      if (!known.contains(name)) {
        error(keyNode, keyPath, "unknown key '" + name + "'; known keys here: " + String.join(", ", new TreeSet<>(known)));
        continue;
      }
      result.put(name, tuple.getValueNode());
    }
    return result;
  }

  /** The items of a sequence; a missing or null value is an empty list. */
  List<Node> sequence(Node node, String path) {
    if (node == null || SafeYaml.isNull(node)) {
      return List.of();
    }
    if (!(node instanceof SequenceNode sequence)) {
      error(node, path, "expected a list, found " + describe(node));
      return List.of();
    }
    return sequence.getValue();
  }

  Optional<String> string(Node node, String path) {
    if (node == null || SafeYaml.isNull(node)) {
      error(node, path, "a value is required");
      return Optional.empty();
    }
    if (!(node instanceof ScalarNode scalar) || !SafeYaml.hasCoreTag(node)) {
      error(node, path, "expected a text value, found " + describe(node));
      return Optional.empty();
    }
    if (scalar.getValue().indexOf('\0') >= 0) {
      error(node, path, "value contains a NUL character");
      return Optional.empty();
    }
    return Optional.of(scalar.getValue());
  }

  /** A list of text values. */
  List<String> strings(Node node, String path) {
    List<String> result = new ArrayList<>();
    List<Node> items = sequence(node, path);
    for (int i = 0; i < items.size(); i++) {
      string(items.get(i), path + "[" + i + "]").ifPresent(result::add);
    }
    return result;
  }

  Optional<Boolean> bool(Node node, String path) {
    if (node instanceof ScalarNode scalar && node.getTag().equals(Tag.BOOL)) {
      return Optional.of(Boolean.parseBoolean(scalar.getValue().toLowerCase(Locale.ROOT)));
    }
    error(node, path, "expected true or false, found " + describe(node));
    return Optional.empty();
  }

  /** The longest duration a config may set: longer is a typo, not a setting (and Go's own limit is 292 years). */
  static final Duration MAX_DURATION = Duration.ofDays(365);

  /** A duration of at least {@code minimum}, written as Go and protobuf do: {@code 3600s}, {@code 1h30m}, {@code 500ms}. */
  Optional<Duration> duration(Node node, String path, Duration minimum, String whyMinimum) {
    Optional<Duration> parsed = duration(node, path);
    if (parsed.isPresent() && parsed.get().compareTo(minimum) < 0) {
      error(node, path, "must be at least " + GoDuration.format(minimum) + ": " + whyMinimum);
      return Optional.empty();
    }
    return parsed;
  }

  /** A positive duration written as Go and protobuf do: {@code 3600s}, {@code 1h30m}, {@code 500ms}. */
  Optional<Duration> duration(Node node, String path) {
    Optional<String> text = string(node, path);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<Duration> parsed = GoDuration.parse(text.get());
    if (parsed.isEmpty()) {
      error(node, path, "'" + text.get() + "' is not a duration; write it like 3600s, 10m or 1h30m");
    } else if (parsed.get().isZero() || parsed.get().isNegative()) {
      error(node, path, "duration must be more than zero");
      return Optional.empty();
    } else if (parsed.get().compareTo(MAX_DURATION) > 0) {
      error(node, path, "duration must be at most " + GoDuration.format(MAX_DURATION));
      return Optional.empty();
    }
    return parsed;
  }

  /** One of an enum's constants, written in lower case with underscores ({@code must_match}). */
  <E extends Enum<E>> Optional<E> oneOf(Node node, String path, Class<E> type) {
    Optional<String> text = string(node, path);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    for (E constant : type.getEnumConstants()) {
      if (constant.name().toLowerCase(Locale.ROOT).equals(text.get())) {
        return Optional.of(constant);
      }
    }
    List<String> allowed = new ArrayList<>();
    for (E constant : type.getEnumConstants()) {
      allowed.add(constant.name().toLowerCase(Locale.ROOT));
    }
    error(node, path, "'" + text.get() + "' is not one of: " + String.join(", ", allowed));
    return Optional.empty();
  }

  /** A text value that must match {@code pattern}; {@code rule} says in words what is allowed. */
  Optional<String> matching(Node node, String path, Pattern pattern, String rule) {
    Optional<String> text = string(node, path);
    if (text.isPresent() && !pattern.matcher(text.get()).matches()) {
      error(node, path, "'" + text.get() + "' is not valid: " + rule);
      return Optional.empty();
    }
    return text;
  }

  static String describe(Node node) {
    if (node == null || SafeYaml.isNull(node)) {
      return "nothing";
    }
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    if (!SafeYaml.hasCoreTag(node)) {
      return "a value tagged " + node.getTag().getValue();
    }
    String value = ((ScalarNode) node).getValue();
    String shown = value.length() > 40 ? value.substring(0, 40) + "…" : value;
    if (node.getTag().equals(Tag.BOOL)) {
      return "the boolean " + shown;
    }
    if (node.getTag().equals(Tag.INT) || node.getTag().equals(Tag.FLOAT)) {
      return "the number " + shown;
    }
    return "the text '" + shown + "'";
  }
}
