package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "events", mixinStandardHelpOptions = true,
    description = {
        "Shows what happened, newest first: agents connecting and leaving, configurations accepted or "
            + "refused, fetches failing and recovering, syncs, drift put back, tokens created and revoked."
    },
    footer = {"", "Examples:", "  tether admin events", "  tether admin events --agent prod --kind sync --limit 20"})
final class EventsCommand implements Callable<Integer> {
  @Mixin AdminConnection connection;
  @Mixin Output output;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent's events.")
  String agent;

  @Option(names = "--kind", paramLabel = "KIND", description = "Only one kind: connection, config, fetch, sync, drift, health, action, token, registry.")
  String kind;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many, 1-500 (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  public Integer call() {
    List<String> query = new ArrayList<>();
    query.add("limit=" + limit);
    if (agent != null) {
      query.add("agent=" + URLEncoder.encode(agent, StandardCharsets.UTF_8));
    }
    if (kind != null) {
      query.add("kind=" + URLEncoder.encode(kind, StandardCharsets.UTF_8));
    }
    JsonNode page = connection.client().get("/api/v1/events?" + String.join("&", query));
    PrintWriter out = spec.commandLine().getOut();
    if (output.printedAsJson(out, page.get("events"))) {
      return 0;
    }
    TextTable table = new TextTable("WHEN", "KIND", "AGENT", "PROJECT", "MESSAGE");
    for (JsonNode e : page.get("events")) {
      table.add(Output.ago(e, "at"), e.get("kind").asText() + (e.get("severity").asText().equals("warning") ? " (!)" : ""),
          Output.text(e, "agent"), Output.text(e, "project"), e.get("message").asText());
    }
    out.print(table.plain());
    return 0;
  }
}
