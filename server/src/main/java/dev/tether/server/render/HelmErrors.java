package dev.tether.server.render;

import dev.tether.common.config.HelmValues;
import dev.tether.common.config.ManifestSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Helm's error text made fit to show: the render folder's paths turned back into the project's, cut
 * to a readable length, and the inline values' strings blanked out, because Helm quotes values in
 * its errors ({@code fail}, {@code required}, a type error) and values may hold secrets.
 */
final class HelmErrors {
  private static final int MAX_CHARS = 4000;
  private static final String HIDDEN = "[value hidden]";

  private HelmErrors() {}

  static String readable(String said, ManifestSource.Helm helm, RenderWorkspace workspace) {
    String text = workspace.projectPaths(said == null ? "" : said.strip());
    if (text.startsWith("Error: ")) {
      text = text.substring("Error: ".length());
    }
    for (String secret : inlineStrings(helm)) {
      text = text.replace(secret, HIDDEN);
    }
    if (text.length() > MAX_CHARS) {
      text = text.substring(0, MAX_CHARS) + " …";
    }
    return text.isEmpty() ? "helm template of chart " + helm.chart() + " failed without a message" : text;
  }

  /** Every scalar of the inline values as text, longest first so that no part of one survives a shorter one's replacement. */
  static List<String> inlineStrings(ManifestSource.Helm helm) {
    List<String> strings = new ArrayList<>();
    Load load = new Load(LoadSettings.builder().build());
    for (HelmValues values : helm.values()) {
      if (values instanceof HelmValues.Inline inline) {
        collect(load.loadFromString(inline.yaml()), strings);
      }
    }
    // Short scalars (true, 1, on) would blank out Helm's own words; they say little about a secret.
    strings.removeIf(s -> s.length() < 4);
    strings.sort(Comparator.comparingInt(String::length).reversed());
    return strings;
  }

  private static void collect(Object value, List<String> into) {
    if (value instanceof Map<?, ?> map) {
      map.values().forEach(v -> collect(v, into));
    } else if (value instanceof List<?> list) {
      list.forEach(v -> collect(v, into));
    } else if (value != null) {
      into.add(String.valueOf(value));
    }
  }
}
