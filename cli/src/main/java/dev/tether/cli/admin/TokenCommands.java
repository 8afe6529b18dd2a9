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

@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Agent tokens: an agent may have several, so they can be rotated without downtime.",
    subcommands = {TokenCommands.Create.class, TokenCommands.ListTokens.class, TokenCommands.Revoke.class},
    footer = {"", "Rotation: create a new token, put it in the agent's token file (its Secret), then revoke the old one;",
        "the agent reads the file again when it reconnects, so it needs no restart.", "",
        "Examples:", "  tether admin token create --agent prod --token-out prod-2.token", "  tether admin token list --agent prod",
        "  tether admin token revoke t-abcdefgh23"})
final class TokenCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: create, list or revoke.");
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a token for an agent; it is shown once.",
      footer = {"", "Example:", "  tether admin token create --agent prod --description 'rotated 2026-11' \\",
          "      --token-out prod-2.token"})
  static final class Create implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin SecretOutput secret;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--agent", required = true, paramLabel = "NAME", description = "The agent the token is for.")
    String agent;

    @Option(names = "--description", paramLabel = "TEXT", defaultValue = "", description = "What the token is for.")
    String description;

    @Override
    public Integer call() {
      secret.checkWritable();
      JsonNode created = connection.client().post("/api/v1/agents/" + agent + "/tokens", Map.of("description", description));
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Token %s created for agent '%s':%n", created.get("token").get("id").asText(), agent);
      out.println(secret.deliver(created.get("secret").asText(), out));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists tokens (never their secrets) with when they were last used.",
      footer = {"", "Examples:", "  tether admin token list", "  tether admin token list --agent prod -o json"})
  static final class ListTokens implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--agent", paramLabel = "NAME", description = "Only this agent's tokens.")
    String agent;

    @Override
    public Integer call() {
      JsonNode tokens = connection.client().get(agent == null ? "/api/v1/tokens" : "/api/v1/agents/" + agent + "/tokens");
      PrintWriter out = spec.commandLine().getOut();
      if (output.printedAsJson(out, tokens)) {
        return 0;
      }
      TextTable table = new TextTable("ID", "AGENT", "STATE", "CREATED", "LAST USED", "DESCRIPTION");
      for (JsonNode t : tokens) {
        table.add(t.get("id").asText(), t.get("agent").asText(), t.get("state").asText(), Output.ago(t, "created_at"),
            Output.ago(t, "last_used_at"), Output.text(t, "description"));
      }
      out.print(table.plain());
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revokes a token. Connections using it are closed at once; the agent is told why.",
      footer = {"", "Example:", "  tether admin token revoke t-abcdefgh23"})
  static final class Revoke implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The token's id, as `tether admin token list` shows it.")
    String id;

    @Override
    public Integer call() {
      JsonNode revoked = connection.client().delete("/api/v1/tokens/" + id);
      spec.commandLine().getOut().printf("Token %s of agent '%s' revoked.%n", id, revoked.get("agent").asText());
      return 0;
    }
  }
}
