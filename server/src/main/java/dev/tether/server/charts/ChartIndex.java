package dev.tether.server.charts;

import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import dev.tether.common.yaml.YamlValues;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A chart repository's {@code index.yaml}, reduced to what a fetch needs: per chart, each version
 * with its archive URLs and digest. Read as hostile YAML, within limits.
 */
record ChartIndex(Map<String, List<Version>> charts) {
  /** Indexes of large public repositories run to tens of megabytes and hundreds of thousands of nodes. */
  static final YamlLimits LIMITS = new YamlLimits(32 * 1024 * 1024, 32, 0, 5_000_000);

  /** One published version; {@code digest} is the sha256 hex Helm writes, or null when the index has none. */
  record Version(String version, List<String> urls, String digest) {}

  static ChartIndex parse(byte[] yaml, String what) throws ChartFetchException {
    Object value;
    try {
      Node node = SafeYaml.readOne(yaml, LIMITS).orElseThrow(() -> new YamlProblem("the file is empty", 0, 0));
      value = YamlValues.toValue(node);
    } catch (YamlProblem e) {
      throw new ChartFetchException(what + " is not a chart repository index: " + e.getMessage()
          + (e.line() > 0 ? " (line " + e.line() + ")" : ""), false);
    }
    if (!(value instanceof Map<?, ?> root) || !(root.get("entries") instanceof Map<?, ?> entries)) {
      throw new ChartFetchException(what + " is not a chart repository index: it has no 'entries' map; is the URL the "
          + "repository's (the folder that holds index.yaml)?", false);
    }
    Map<String, List<Version>> charts = new LinkedHashMap<>();
    for (Map.Entry<?, ?> chart : entries.entrySet()) {
      List<Version> versions = new ArrayList<>();
      if (chart.getValue() instanceof List<?> list) {
        for (Object item : list) {
          if (item instanceof Map<?, ?> m && m.get("version") != null && m.get("urls") instanceof List<?> urls) {
            versions.add(new Version(String.valueOf(m.get("version")), urls.stream().map(String::valueOf).toList(),
                m.get("digest") == null ? null : String.valueOf(m.get("digest"))));
          }
        }
      }
      charts.put(String.valueOf(chart.getKey()), List.copyOf(versions));
    }
    return new ChartIndex(charts);
  }
}
