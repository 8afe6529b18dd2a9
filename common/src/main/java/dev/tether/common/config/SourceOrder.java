package dev.tether.common.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Checks {@code depends_on} across the entries of one agent, as Flux checks a Kustomization's
 * {@code dependsOn}: every name must be another entry's, name exactly one entry, and the entries must
 * not wait for each other in a circle. Each problem is reported at the {@code depends_on} item
 * that causes it, so that the file and line lead to it.
 */
final class SourceOrder {
  /** One parsed entry with where it is in the file. */
  record Entry(ManifestProject project, String path, Node node) {}

  private SourceOrder() {}

  static void check(ConfigNodeReader r, List<Entry> entries) {
    Map<String, List<Integer>> byName = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      byName.computeIfAbsent(entries.get(i).project().name(), n -> new ArrayList<>()).add(i);
    }
    for (int i = 0; i < entries.size(); i++) {
      Node name = value(entries.get(i).node(), "name");
      List<Integer> same = byName.get(entries.get(i).project().name());
      if (name != null && same.size() > 1) {
        r.error(name, entries.get(i).path() + ".name", "'" + entries.get(i).project().name() + "' names " + places(entries, same)
            + "; each entry's name must be unique (an entry without a name is named by its project id)");
      }
    }
    // Edges to the one entry each name stands for; an unusable name is reported and left out.
    Map<Integer, List<Integer>> needs = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      List<Integer> targets = new ArrayList<>();
      List<String> wanted = e.project().dependsOn();
      for (int j = 0; j < wanted.size(); j++) {
        String path = e.path() + ".depends_on[" + j + "]";
        Node at = item(e.node(), j);
        List<Integer> named = byName.getOrDefault(wanted.get(j), List.of());
        if (wanted.get(j).equals(e.project().name())) {
          r.error(at, path, "'" + wanted.get(j) + "' is this entry itself; an entry cannot wait for itself");
        } else if (named.isEmpty()) {
          r.error(at, path, "no entry of this agent is named '" + wanted.get(j) + "'; the names are "
              + String.join(", ", byName.keySet()) + " (an entry's 'name', else its project id)");
        } else if (named.size() > 1) {
          r.error(at, path, "'" + wanted.get(j) + "' names " + places(entries, named) + "; give each of them a 'name' and depend on that");
        } else {
          targets.add(named.get(0));
        }
      }
      needs.put(i, targets);
    }
    int[] state = new int[entries.size()]; // 0 not seen, 1 on the current path, 2 done
    for (int i = 0; i < entries.size(); i++) {
      if (state[i] == 0) {
        visit(i, new ArrayList<>(), state, needs, entries, r);
      }
    }
  }

  /** Depth first; a dependency already on the path closes a cycle, reported at the item that closes it. */
  private static void visit(int i, List<Integer> path, int[] state, Map<Integer, List<Integer>> needs, List<Entry> entries,
      ConfigNodeReader r) {
    state[i] = 1;
    path.add(i);
    List<String> wanted = entries.get(i).project().dependsOn();
    for (int target : needs.get(i)) {
      if (state[target] == 1) {
        List<Integer> cycle = new ArrayList<>(path.subList(path.indexOf(target), path.size()));
        cycle.add(target);
        int j = wanted.indexOf(entries.get(target).project().name());
        r.error(item(entries.get(i).node(), j), entries.get(i).path() + ".depends_on[" + j + "]", "depends_on forms a cycle: "
            + cycle.stream().map(k -> entries.get(k).project().name()).collect(Collectors.joining(" -> "))
            + "; none of these entries could ever sync. Remove one of these depends_on items");
      } else if (state[target] == 0) {
        visit(target, path, state, needs, entries, r);
      }
    }
    path.remove(path.size() - 1);
    state[i] = 2;
  }

  private static String places(List<Entry> entries, List<Integer> indexes) {
    return indexes.stream().map(k -> entries.get(k).path()).collect(Collectors.joining(" and "));
  }

  private static Node value(Node mapping, String key) {
    if (mapping instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
          return t.getValueNode();
        }
      }
    }
    return null;
  }

  /** The node of depends_on item {@code j}, or the entry's node when it cannot be found. */
  private static Node item(Node entry, int j) {
    Node list = value(entry, "depends_on");
    return list instanceof SequenceNode s && j >= 0 && j < s.getValue().size() ? s.getValue().get(j) : entry;
  }
}
