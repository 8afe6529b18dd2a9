package dev.tether.common.yaml;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads YAML into position-carrying node trees, never into Java objects: no tags outside the YAML
 * core schema, wherever they stand ({@link CoreTags}), bounded size, depth, aliases and expansion.
 * Duplicate keys are left for the reader of the tree to report with both positions.
 */
public final class SafeYaml {
  private SafeYaml() {}

  /** Every document in {@code bytes}, in order; an empty document is a null entry, so indices match the file. */
  public static List<Node> readAll(byte[] bytes, YamlLimits limits) throws YamlProblem {
    if (bytes.length > limits.maxBytes()) {
      throw new YamlProblem("file is " + humanBytes(bytes.length) + "; the limit is " + humanBytes(limits.maxBytes()), 0, 0);
    }
    String text = decodeUtf8(bytes);
    LoadSettings settings = LoadSettings.builder()
        .setMaxAliasesForCollections(limits.maxAliases())
        .setAllowRecursiveKeys(false)
        .setCodePointLimit(limits.maxBytes())
        .setUseMarks(true)
        .build();
    checkDepth(text, settings, limits.maxDepth());
    List<Node> documents = new ArrayList<>();
    try {
      for (Node node : new Compose(settings).composeAllFromString(text)) {
        if (node == null) {
          documents.add(null);
          continue;
        }
        checkExpansion(node, limits.maxNodes());
        // Before the null test: "--- !!null {kind: Secret}" is a tagged mapping, not an empty document.
        CoreTags.check(node, settings.getSchema().getScalarResolver());
        documents.add(isNull(node) ? null : node);
      }
    } catch (MarkedYamlEngineException e) {
      throw located(e);
    } catch (YamlEngineException e) {
      throw new YamlProblem(e.getMessage(), 0, 0);
    }
    return documents;
  }

  /** The single document of {@code bytes}, or empty when the file holds none. */
  public static Optional<Node> readOne(byte[] bytes, YamlLimits limits) throws YamlProblem {
    List<Node> documents = readAll(bytes, limits).stream().filter(java.util.Objects::nonNull).toList();
    if (documents.size() > 1) {
      int line = documents.get(1).getStartMark().map(m -> m.getLine() + 1).orElse(0);
      throw new YamlProblem("expected one YAML document, found " + documents.size(), line, 1);
    }
    return documents.stream().findFirst();
  }

  public static int line(Node node) {
    return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
  }

  public static int column(Node node) {
    return node.getStartMark().map(m -> m.getColumn() + 1).orElse(0);
  }

  public static boolean isNull(Node node) {
    return node.getTag().equals(Tag.NULL);
  }

  /** Whether a node carries only tags of the YAML core schema (no {@code !!java/...}, no custom tags). */
  public static boolean hasCoreTag(Node node) {
    return CoreTags.isCore(node.getTag());
  }

  private static String decodeUtf8(byte[] bytes) throws YamlProblem {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new YamlProblem("file is not valid UTF-8", 0, 0);
    }
  }

  // The composer recurses once per nesting level, so depth is checked first on the flat event stream,
  // unless a cheap bound on the text already proves the nesting shallow (almost every real file).
  private static void checkDepth(String text, LoadSettings settings, int maxDepth) throws YamlProblem {
    if (nestingBound(text) <= maxDepth) {
      return;
    }
    int depth = 0;
    try {
      for (Event event : new Parse(settings).parseString(text)) {
        switch (event.getEventId()) {
          case MappingStart, SequenceStart -> {
            if (++depth > maxDepth) {
              int line = event.getStartMark().map(m -> m.getLine() + 1).orElse(0);
              int column = event.getStartMark().map(m -> m.getColumn() + 1).orElse(0);
              throw new YamlProblem("nesting is deeper than " + maxDepth + " levels", line, column);
            }
          }
          case MappingEnd, SequenceEnd -> depth--;
          default -> { }
        }
      }
    } catch (MarkedYamlEngineException e) {
      throw located(e);
    } catch (YamlEngineException e) {
      throw new YamlProblem(e.getMessage(), 0, 0);
    }
  }

  /**
   * An upper bound on how deep {@code text} can nest: each block level needs at least one more
   * column of indentation or one more "- " or "? " on its line, and each flow level an unclosed
   * bracket (counted even inside quotes, which only raises the bound).
   */
  static int nestingBound(String text) {
    int flow = 0;
    int maxFlow = 0;
    int maxBlock = 0;
    int i = 0;
    int n = text.length();
    while (i < n) {
      int indent = 0;
      while (i < n && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
        indent++;
        i++;
      }
      int markers = 0;
      while (i + 1 < n && (text.charAt(i) == '-' || text.charAt(i) == '?') && text.charAt(i + 1) == ' ') {
        markers++;
        i += 2;
        while (i < n && text.charAt(i) == ' ') {
          i++;
        }
      }
      // A key's value may be a mapping on the same line's indentation plus one; count a level per line.
      maxBlock = Math.max(maxBlock, indent + 2 * markers + 2);
      while (i < n && text.charAt(i) != '\n') {
        char c = text.charAt(i++);
        if (c == '[' || c == '{') {
          maxFlow = Math.max(maxFlow, ++flow);
        } else if ((c == ']' || c == '}') && flow > 0) {
          flow--;
        }
      }
      i++;
    }
    return maxBlock + maxFlow;
  }

  // Aliases make the tree a graph: count what it expands to, and refuse cycles.
  private static void checkExpansion(Node root, int maxNodes) throws YamlProblem {
    Map<Node, Long> sizes = new IdentityHashMap<>();
    Set<Node> inProgress = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    long total = expandedSize(root, sizes, inProgress, maxNodes);
    if (total > maxNodes) {
      throw new YamlProblem("document expands to more than " + maxNodes + " nodes (aliases used too often)",
          line(root), column(root));
    }
  }

  private static long expandedSize(Node node, Map<Node, Long> sizes, Set<Node> inProgress, int maxNodes)
      throws YamlProblem {
    Long known = sizes.get(node);
    if (known != null) {
      return known;
    }
    if (!inProgress.add(node)) {
      throw new YamlProblem("an alias refers to a node that contains it (recursive structure)", line(node), column(node));
    }
    long size = 1;
    if (node instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        size += expandedSize(tuple.getKeyNode(), sizes, inProgress, maxNodes);
        size += expandedSize(tuple.getValueNode(), sizes, inProgress, maxNodes);
        if (size > maxNodes) {
          break;
        }
      }
    } else if (node instanceof SequenceNode sequence) {
      for (Node item : sequence.getValue()) {
        size += expandedSize(item, sizes, inProgress, maxNodes);
        if (size > maxNodes) {
          break;
        }
      }
    }
    inProgress.remove(node);
    sizes.put(node, size);
    return size;
  }

  private static YamlProblem located(MarkedYamlEngineException e) {
    Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
    String message = e.getProblem() != null ? e.getProblem() : e.getMessage();
    if (e.getContext() != null && !e.getContext().isBlank()) {
      message = e.getContext() + ": " + message;
    }
    return new YamlProblem(message, mark.map(m -> m.getLine() + 1).orElse(0), mark.map(m -> m.getColumn() + 1).orElse(0));
  }

  private static String humanBytes(long bytes) {
    if (bytes >= 1024 * 1024) {
      return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
    if (bytes >= 1024) {
      return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return bytes + " bytes";
  }
}
