package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "app", mixinStandardHelpOptions = true,
    description = "Applications: each agent's manifest project entries. List them, and act on one: refresh (fetch Git now), "
        + "sync (apply now), pause or resume drift correction. Each action is recorded in the events feed.",
    subcommands = {ApplicationCommands.ListApplications.class, ApplicationCommands.Refresh.class, ApplicationCommands.Sync.class,
        ApplicationCommands.Pause.class, ApplicationCommands.Resume.class},
    footer = {"", "Examples:", "  tether admin app list", "  tether admin app sync prod group/app",
        "  tether admin app pause prod group/app", "  tether admin app resume prod group/app"})
final class ApplicationCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: list, refresh, sync, pause or resume.");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the applications with their commit, phase and health.",
      footer = {"", "Examples:", "  tether admin app list", "  tether admin app list -o json"})
  static final class ListApplications implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode apps = connection.client().get("/api/v1/applications");
      PrintWriter out = spec.commandLine().getOut();
      if (output.printedAsJson(out, apps)) {
        return 0;
      }
      TextTable table = new TextTable("AGENT", "PROJECT", "INVENTORY", "SOURCE", "COMMIT", "PHASE", "HEALTH", "LAST SYNC");
      for (JsonNode a : apps) {
        table.add(a.get("agent").asText(), a.get("project").asText(), a.get("inventory_id").asText(),
            Output.text(a, "kind") + (a.path("renders").isTextual() ? " " + a.get("renders").asText() : ""),
            Output.shortCommit(a.path("commit").asText("")), a.get("phase").asText() + (a.get("drift_paused").asBoolean() ? " (drift paused)" : ""),
            a.get("health").asText() + " " + a.get("healthy").asInt() + "/" + a.get("objects").asInt(), Output.ago(a, "finished_at"));
      }
      out.print(table.plain());
      return 0;
    }
  }

  /** The shared part of the actions: which application, and the call. */
  /** The four actions differ only in their command name, which is also the API's verb. */
  abstract static class Action implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AGENT", description = "The agent's name.")
    String agent;

    @Parameters(index = "1", paramLabel = "PROJECT", description = "The manifest project's id, or the entry's inventory id when the agent "
        + "lists the project more than once.")
    String project;

    @Override
    public Integer call() {
      AdminClient client = connection.client();
      List<String> matches = new ArrayList<>();
      for (JsonNode a : client.get("/api/v1/applications")) {
        if (a.get("agent").asText().equals(agent)
            && (a.get("project").asText().equals(project) || a.get("inventory_id").asText().equals(project))) {
          matches.add(a.get("inventory_id").asText());
        }
      }
      if (matches.isEmpty()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "agent '" + agent + "' has no manifest project '" + project
            + "'; `tether admin app list` shows the applications");
      }
      if (matches.size() > 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "agent '" + agent + "' lists project '" + project + "' "
            + matches.size() + " times; name one by its inventory id: " + String.join(", ", matches));
      }
      JsonNode done = client.post("/api/v1/agents/" + segment(agent) + "/sources/" + segment(matches.get(0)) + "/" + spec.name(), Map.of());
      spec.commandLine().getOut().println(done.get("done").asText());
      return 0;
    }

    private static String segment(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
  }

  @Command(name = "refresh", mixinStandardHelpOptions = true,
      footer = {"", "Example:", "  tether admin app refresh prod group/app"}, description = "Fetches the application's Git project now.")
  static final class Refresh extends Action {}

  @Command(name = "sync", mixinStandardHelpOptions = true,
      footer = {"", "Example:", "  tether admin app sync prod group/app"},
      description = "Has the agent apply the application's manifests now, rather than at the next commit or resync.")
  static final class Sync extends Action {}

  @Command(name = "pause", mixinStandardHelpOptions = true,
      footer = {"", "Example:", "  tether admin app pause prod group/app"},
      description = "Pauses drift correction: the agent reports changes made in the cluster and leaves them, and skips its periodic "
          + "resync; new commits still sync. The server tells an agent that reconnects.")
  static final class Pause extends Action {}

  @Command(name = "resume", mixinStandardHelpOptions = true,
      footer = {"", "Example:", "  tether admin app resume prod group/app"},
      description = "Resumes drift correction: the agent syncs at once, putting back what differs from Git.")
  static final class Resume extends Action {}
}
