package dev.tether.common.yaml;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Turns a node tree from {@link SafeYaml} into plain JSON-like values (maps, lists, strings,
 * numbers, booleans, null) by the YAML 1.2 core schema. Keys must be text and unique.
 */
public final class YamlValues {
  private YamlValues() {}

  public static Object toValue(Node node) throws YamlProblem {
    if (node instanceof MappingNode mapping) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (NodeTuple tuple : mapping.getValue()) {
        if (!(tuple.getKeyNode() instanceof ScalarNode key) || SafeYaml.isNull(key)) {
          throw new YamlProblem("a key is not text", SafeYaml.line(tuple.getKeyNode()), SafeYaml.column(tuple.getKeyNode()));
        }
        if (map.containsKey(key.getValue())) {
          throw new YamlProblem("duplicate key '" + key.getValue() + "'", SafeYaml.line(key), SafeYaml.column(key));
        }
        map.put(key.getValue(), toValue(tuple.getValueNode()));
      }
      return map;
    }
    if (node instanceof SequenceNode sequence) {
      List<Object> list = new ArrayList<>(sequence.getValue().size());
      for (Node item : sequence.getValue()) {
        list.add(toValue(item));
      }
      return list;
    }
    ScalarNode scalar = (ScalarNode) node;
    if (!SafeYaml.hasCoreTag(node)) {
      throw new YamlProblem("the tag " + node.getTag().getValue() + " is not allowed", SafeYaml.line(node), SafeYaml.column(node));
    }
    String text = scalar.getValue();
    Tag tag = node.getTag();
    try {
      if (tag.equals(Tag.NULL)) {
        return null;
      }
      if (tag.equals(Tag.BOOL)) {
        return Boolean.parseBoolean(text.toLowerCase(Locale.ROOT));
      }
      if (tag.equals(Tag.INT)) {
        return integer(text);
      }
      if (tag.equals(Tag.FLOAT)) {
        return floating(text);
      }
    } catch (NumberFormatException e) {
      throw new YamlProblem("'" + text + "' is not a number", SafeYaml.line(node), SafeYaml.column(node));
    }
    return text;
  }

  private static Object integer(String text) {
    String t = text.startsWith("+") ? text.substring(1) : text;
    BigInteger value;
    if (t.startsWith("0x") || t.startsWith("-0x")) {
      value = new BigInteger(t.replaceFirst("0x", ""), 16);
    } else if (t.startsWith("0o") || t.startsWith("-0o")) {
      value = new BigInteger(t.replaceFirst("0o", ""), 8);
    } else {
      value = new BigInteger(t);
    }
    return value.bitLength() < 64 ? (Object) value.longValue() : value;
  }

  private static Object floating(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    if (t.endsWith(".inf")) {
      return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (t.equals(".nan")) {
      return Double.NaN;
    }
    return Double.parseDouble(text);
  }
}
