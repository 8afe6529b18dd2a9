package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = {
        "Shows every agent and the sync state of each of its manifest projects: one line per agent and "
            + "project (INVENTORY tells two entries of one project apart), then, for each project that is not synced "
            + "and healthy, why: the sync's error and each object that failed or is not healthy.",
        "SOURCE is raw (files selected by paths) or the renderer and what it renders (kustomize overlays/prod, helm charts/web (release web)), "
            + "with the chart versions a render fetched from chart repositories in brackets ([podinfo 6.5.3 from https://...]) "
            + "and `render failed` when the last render did.",
        "OBJECTS is healthy/total (healthy = Current); FAILED counts objects that could not be applied or "
            + "pruned. The command exits with 0 even when syncs failed; use -o json and a JSON tool to script on "
            + "the state."
    },
    footer = {"", "Examples:", "  tether admin status", "  tether admin status -o json"})
final class StatusCommand implements Callable<Integer> {
  @Mixin AdminConnection connection;
  @Mixin Output output;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    JsonNode agents = connection.client().get("/api/v1/agents");
    PrintWriter out = spec.commandLine().getOut();
    if (output.printedAsJson(out, agents)) {
      return 0;
    }
    if (agents.isEmpty()) {
      out.println("No agents yet. Create one with `tether admin agent create <name> --config-project <id>`.");
      return 0;
    }
    TextTable table = new TextTable("AGENT", "CONNECTED", "CONFIG", "PROJECT", "SOURCE", "INVENTORY", "COMMIT", "PHASE", "OBJECTS",
        "FAILED", "SYNCED");
    java.util.List<String> troubled = new java.util.ArrayList<>();
    for (JsonNode a : agents) {
      String connected = a.get("connected").asBoolean() ? "yes" : "no (" + Output.ago(a, "last_seen_at") + ")";
      String config = a.at("/config/state").asText() + (a.at("/config/fetch_error").isTextual() ? ", fetch failing" : "");
      JsonNode syncs = a.get("gitops");
      if (syncs.isEmpty()) {
        table.add(a.get("name").asText(), connected, config, "-", "-", "-", "-", "-", "-", "-", "-");
      }
      for (JsonNode s : syncs) {
        if (GitopsProblems.needsExplaining(s) && !troubled.contains(a.get("name").asText())) {
          troubled.add(a.get("name").asText());
        }
        table.add(a.get("name").asText(), connected, config, s.get("project").asText(), source(s.get("source")),
            GitopsProblems.inventoryPlace(Output.text(s, "inventory")), Output.shortCommit(Output.text(s, "commit")),
            phase(s),
            s.get("healthy").asInt() + "/" + s.get("objects").asInt(), Integer.toString(s.get("failed").asInt()),
            Output.ago(s, "finished_at"));
      }
    }
    out.print(table.plain());
    if (!troubled.isEmpty()) {
      out.println();
      for (String agent : troubled) {
        GitopsProblems.print(out, agent, connection.client().get("/api/v1/agents/" + agent + "/gitops"));
      }
    }
    return 0;
  }

  /** The phase, with the wave in progress or the sources it waits for (depends_on) when there are, and unhealthy objects. */
  private static String phase(JsonNode s) {
    StringBuilder phase = new StringBuilder(s.get("phase").asText());
    if (s.path("wave").isInt()) {
      phase.append(" wave ").append(s.get("wave").asInt()).append(" (").append(s.path("waves").asInt()).append(" waves)");
    }
    java.util.List<String> waiting = new java.util.ArrayList<>();
    s.path("waiting_for").forEach(n -> waiting.add(n.asText()));
    if (!waiting.isEmpty()) {
      phase.append(" (waiting for ").append(String.join(", ", waiting)).append(')');
    }
    if (s.get("unhealthy").asInt() > 0) {
      phase.append(" (").append(s.get("unhealthy").asInt()).append(" unhealthy)");
    }
    return phase.toString();
  }

  private static String source(JsonNode source) {
    if (source == null || !source.isObject()) {
      return "-";
    }
    String kind = source.get("kind").asText();
    return source.path("renders").isTextual() ? kind + " " + source.get("renders").asText()
        + (source.path("resolved").isTextual() ? " [" + source.get("resolved").asText() + "]" : "")
        + (source.path("render_error").isTextual() ? " (render failed)" : "") : kind;
  }
}
