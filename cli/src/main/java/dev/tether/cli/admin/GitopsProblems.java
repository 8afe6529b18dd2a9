package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Says why a manifest project is not synced and healthy: its sync's message, then each object that failed or is not healthy. */
final class GitopsProblems {
  private static final int MAX_OBJECTS = 10;
  private static final Pattern INVENTORY_PLACE = Pattern.compile("^ConfigMap (\\S+)");

  private GitopsProblems() {}

  /** The inventory's namespace/name out of its description ("ConfigMap apps/inventory-x (inventory x)"), or "-". */
  static String inventoryPlace(String inventory) {
    Matcher m = INVENTORY_PLACE.matcher(inventory == null ? "" : inventory);
    return m.find() ? m.group(1) : "-";
  }

  /** Whether a summary of /api/v1/agents names something to explain. */
  static boolean needsExplaining(JsonNode summary) {
    return !summary.path("phase").asText().equals("synced") || summary.path("unhealthy").asInt() > 0
        || summary.path("failed").asInt() > 0;
  }

  /** The lines that explain one manifest project's state (a view of /api/v1/agents/NAME/gitops); none when all is well. */
  static List<String> of(JsonNode gitops) {
    List<String> lines = new ArrayList<>();
    String message = gitops.path("message").asText();
    if (!message.isEmpty() && !gitops.path("phase").asText().equals("synced")) {
      lines.add(message);
    }
    List<JsonNode> objects = new ArrayList<>();
    for (JsonNode o : gitops.path("objects")) {
      String health = o.path("health").asText();
      if (o.path("action").asText().equals("failed") || health.equals("Failed") || health.equals("InProgress")) {
        objects.add(o);
      }
    }
    for (JsonNode o : objects.subList(0, Math.min(objects.size(), MAX_OBJECTS))) {
      String namespace = o.path("namespace").asText();
      String state = o.path("action").asText().equals("failed") ? "failed" : o.path("health").asText();
      lines.add(o.path("kind").asText() + " " + (namespace.isEmpty() ? "" : namespace + "/") + o.path("name").asText() + ": "
          + state + (o.path("message").asText().isEmpty() ? "" : ": " + o.path("message").asText()));
    }
    if (objects.size() > MAX_OBJECTS) {
      lines.add("… and " + (objects.size() - MAX_OBJECTS) + " more objects (tether admin agent show -o json lists them all)");
    }
    return lines;
  }

  /** Prints each project's explanation under a heading naming agent, project and inventory. */
  static void print(PrintWriter out, String agent, JsonNode gitopsViews) {
    for (JsonNode g : gitopsViews) {
      List<String> lines = of(g);
      if (lines.isEmpty()) {
        continue;
      }
      out.printf("%s %s (inventory %s), %s at %s:%n", agent, g.path("project").asText(), inventoryPlace(g.path("inventory").asText()),
          g.path("phase").asText(), Output.shortCommit(Output.text(g, "commit")));
      lines.forEach(line -> out.println("  " + line));
    }
  }
}
