package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Agents: create them, see whether they are connected and which configuration they run.",
    subcommands = {AgentCommands.Create.class, AgentCommands.ListAgents.class, AgentCommands.Show.class},
    footer = {"", "Examples:", "  tether admin agent create prod --config-project group/config \\", "      --token-out prod.token",
        "  tether admin agent list", "  tether admin agent show prod"})
final class AgentCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: create, list or show.");
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {
          "Creates an agent and its first token. Its configuration is read from "
              + ".gitlab/agents/<NAME>/config.yaml in the config project's default branch (no file means the "
              + "defaults). The token is shown once."
      },
      footer = {"", "Example:", "  tether admin agent create prod --config-project group/config \\", "      --token-out prod.token"})
  static final class Create implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin SecretOutput secret;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Lower-case letters, digits and '-', at most 63.")
    String name;

    @Option(names = "--config-project", required = true, paramLabel = "ID", description = "The project holding the agent's config.yaml.")
    String configProject;

    @Override
    public Integer call() {
      secret.checkWritable();
      AdminClient client = connection.client();
      // Asked first: a token created but not delivered because of a later failure would be lost.
      ServerAddresses server = ServerAddresses.of(connection, client);
      JsonNode created = client.post("/api/v1/agents", Map.of("name", name, "config_project", configProject));
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Agent '%s' created; its configuration is read from %s in project '%s'.%n", name,
          created.get("agent").get("config").get("file").asText(), configProject);
      out.printf("Token %s:%n", created.get("token").get("id").asText());
      String where = secret.deliver(created.get("secret").asText(), out);
      out.println(where);
      out.printf("Run the agent with:%n  tether agent --server %s --token-file %s%s%n", server.agentAddress(),
          secret.tokenOut != null ? secret.tokenOut : "<file with the token>", server.caFileOption());
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists agents, their connections and configuration state.",
      footer = {"", "Examples:", "  tether admin agent list", "  tether admin agent list -o json"})
  static final class ListAgents implements Callable<Integer> {
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
      TextTable table = new TextTable("NAME", "CONNECTED", "VERSION", "CLUSTER", "CONFIG", "COMMIT", "LAST SEEN");
      for (JsonNode a : agents) {
        JsonNode connections = a.get("connections");
        JsonNode first = connections.size() > 0 ? connections.get(0) : null;
        JsonNode config = a.get("config");
        table.add(a.get("name").asText(),
            connections.size() == 0 ? "no" : connections.size() == 1 ? "yes" : "yes (" + connections.size() + ")",
            first == null ? "-" : Output.text(first, "version"),
            first == null ? "-" : Output.text(first, "cluster_version"),
            config.get("state").asText() + (config.hasNonNull("fetch_error") ? ", fetch failing" : ""),
            Output.shortCommit(Output.text(config, "valid_commit")),
            a.get("connected").asBoolean() ? "now" : Output.ago(a, "last_seen_at"));
      }
      out.print(table.plain());
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Shows one agent: connections, configuration state with every error, the last fetch problem, and each "
          + "manifest project's last sync with why it failed and the objects not healthy.",
      footer = {"", "Examples:", "  tether admin agent show prod", "  tether admin agent show prod -o json"})
  static final class Show implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The agent's name, as `tether admin agent list` shows it.")
    String name;

    @Override
    public Integer call() {
      JsonNode a = connection.client().get("/api/v1/agents/" + name);
      PrintWriter out = spec.commandLine().getOut();
      if (output.printedAsJson(out, a)) {
        return 0;
      }
      JsonNode config = a.get("config");
      out.printf("Agent:          %s%n", name);
      out.printf("Config:         %s in project '%s'%n", Output.text(config, "file"), Output.text(config, "project"));
      out.printf("Config state:   %s (read at %s, commit %s)%n", Output.text(config, "state"), Output.ago(config, "observed_at"),
          Output.shortCommit(Output.text(config, "commit")));
      out.printf("Running config: commit %s%n", Output.shortCommit(Output.text(config, "valid_commit")));
      if (config.hasNonNull("fetch_error")) {
        out.printf("Fetch problem:  %s%n", config.get("fetch_error").asText());
      }
      for (JsonNode error : config.get("errors")) {
        out.printf("  error: %s:%s:%s: %s%s%n", Output.text(error, "file"), Output.text(error, "line"), Output.text(error, "column"),
            error.get("path").asText().isEmpty() ? "" : error.get("path").asText() + ": ", Output.text(error, "message"));
      }
      JsonNode connections = a.get("connections");
      out.printf("Connections:    %d%s%n", connections.size(), connections.size() == 0 ? " (last seen " + Output.ago(a, "last_seen_at") + ")" : "");
      for (JsonNode c : connections) {
        // Two processes on one agent's tokens: say which one writes to the cluster.
        String role = connections.size() < 2 ? "" : c.path("applies_gitops").asBoolean() ? ", applies GitOps"
            : ", does not apply GitOps (another connection does)";
        out.printf("  %s since %s from %s to replica %s: version %s, pod %s/%s, cluster %s, heartbeat %s%s%n", Output.text(c, "id"),
            Output.ago(c, "since"), Output.text(c, "remote_address"), Output.text(c, "replica"), Output.text(c, "version"),
            Output.text(c, "pod_namespace"), Output.text(c, "pod_name"), Output.text(c, "cluster_version"),
            Output.ago(c, "last_heartbeat"), role);
      }
      JsonNode gitops = connection.client().get("/api/v1/agents/" + name + "/gitops");
      out.printf("GitOps:         %d manifest project(s)%n", gitops.size());
      for (JsonNode g : gitops) {
        out.printf("  %s (inventory %s): %s at %s, %d applied, %d unchanged, %d pruned, %d failed, finished %s%n",
            Output.text(g, "project"), GitopsProblems.inventoryPlace(Output.text(g, "inventory")), Output.text(g, "phase"),
            Output.shortCommit(Output.text(g, "commit")), g.path("applied").asInt(), g.path("unchanged").asInt(),
            g.path("pruned").asInt(), g.path("failed").asInt(), Output.ago(g, "finished_at"));
        GitopsProblems.of(g).forEach(line -> out.println("    " + line));
      }
      return 0;
    }
  }
}
