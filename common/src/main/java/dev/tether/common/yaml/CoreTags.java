package dev.tether.common.yaml;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;

/**
 * The tags a document may carry: those of the YAML 1.2 core schema, each on the kind of node it
 * describes and, on a scalar, only where the value reads as that type. Anything else (local tags
 * like {@code !secret}, {@code !!java.util.X}, {@code !!binary}, {@code !!set}, another domain's
 * {@code tag:example.com,2000:x}) names a type that this reader does not build, so it is refused
 * rather than read as something the author did not mean.
 */
final class CoreTags {
  private static final String YAML_PREFIX = Tag.PREFIX;
  static final Set<Tag> SCALAR_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL);
  private static final String ALLOWED = "only the YAML core tags !!map, !!seq, !!str, !!int, !!float, !!bool and !!null may be used";

  private CoreTags() {}

  static boolean isCore(Tag tag) {
    return tag.equals(Tag.MAP) || tag.equals(Tag.SEQ) || SCALAR_TAGS.contains(tag);
  }

  /**
   * Checks every node under {@code root}, keys included. An alias is checked once, where its anchor
   * stands; the tree has already been checked for cycles.
   */
  static void check(Node root, ScalarResolver resolver) throws YamlProblem {
    Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    check(root, resolver, seen);
  }

  private static void check(Node node, ScalarResolver resolver, Set<Node> seen) throws YamlProblem {
    if (!seen.add(node)) {
      return;
    }
    Tag tag = node.getTag();
    if (!isCore(tag)) {
      throw problem(node, "the tag " + shown(tag) + " is not allowed: " + ALLOWED + "; remove the tag");
    }
    if (node instanceof MappingNode mapping) {
      requireTag(node, tag, Tag.MAP, "a mapping");
      for (NodeTuple tuple : mapping.getValue()) {
        check(tuple.getKeyNode(), resolver, seen);
        check(tuple.getValueNode(), resolver, seen);
      }
    } else if (node instanceof SequenceNode sequence) {
      requireTag(node, tag, Tag.SEQ, "a list");
      for (Node item : sequence.getValue()) {
        check(item, resolver, seen);
      }
    } else if (node instanceof ScalarNode scalar) {
      if (!SCALAR_TAGS.contains(tag)) {
        throw problem(node, "the tag " + shown(tag) + " does not fit a single value; remove the tag");
      }
      checkScalarValue(scalar, tag, resolver);
    }
  }

  private static void requireTag(Node node, Tag tag, Tag expected, String kind) throws YamlProblem {
    if (!tag.equals(expected)) {
      throw problem(node, "the tag " + shown(tag) + " does not fit " + kind + "; remove the tag");
    }
  }

  // An explicit !!bool on "yes", say, would otherwise be read as false without a word.
  private static void checkScalarValue(ScalarNode scalar, Tag tag, ScalarResolver resolver) throws YamlProblem {
    if (tag.equals(Tag.STR)) {
      return;
    }
    Tag reads = resolver.resolve(scalar.getValue(), true);
    boolean fits = reads.equals(tag) || (tag.equals(Tag.FLOAT) && reads.equals(Tag.INT));
    if (!fits) {
      String value = scalar.getValue().length() > 40 ? scalar.getValue().substring(0, 40) + "…" : scalar.getValue();
      throw problem(scalar, "'" + value + "' is not a " + shown(tag) + " value; " + hint(tag) + ", or remove the tag");
    }
  }

  private static String hint(Tag tag) {
    if (tag.equals(Tag.BOOL)) {
      return "write true or false";
    }
    if (tag.equals(Tag.INT)) {
      return "write a whole number like 42";
    }
    if (tag.equals(Tag.FLOAT)) {
      return "write a number like 1.5";
    }
    return "write null or nothing";
  }

  /** A tag as its author most likely wrote it: {@code !!binary} rather than {@code tag:yaml.org,2002:binary}. */
  static String shown(Tag tag) {
    String value = tag.getValue();
    return value.startsWith(YAML_PREFIX) ? "!!" + value.substring(YAML_PREFIX.length()) : value;
  }

  private static YamlProblem problem(Node node, String message) {
    return new YamlProblem(message, SafeYaml.line(node), SafeYaml.column(node));
  }
}
