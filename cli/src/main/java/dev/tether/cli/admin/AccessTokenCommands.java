package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.common.text.TextTable;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "access-token", mixinStandardHelpOptions = true,
    description = "Access tokens for the Kubernetes API proxy: one per CI project, or one per person.",
    subcommands = {AccessTokenCommands.Create.class, AccessTokenCommands.ListTokens.class, AccessTokenCommands.Revoke.class},
    footer = {"", "Examples:", "  tether admin access-token create --project group/app --token-out ci.token",
        "  tether admin access-token list", "  tether admin access-token revoke a-abcdefgh23"})
final class AccessTokenCommands implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: create, list or revoke.");
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {
          "Creates an access token; it is shown once. A CI token (--project) gets in where an agent's ci_access"
              + " lists that project or a group above it (where that entry lists environments, only with --environment"
              + " naming one of them); a person's token (--user) where user_access lists one of their projects.",
          "Where user_access says access_as: user, the proxy acts as user tether:user:NAME in the groups tether:user,"
              + " tether:agent:AGENT and those given with --group. A token may not carry the cluster's own identities"
              + " (system:masters, system:nodes or any other name starting with system:) nor Tether's (tether:...):"
              + " the server refuses them, so that the cluster's RBAC decides what the person may do."
      },
      footer = {
          "",
          "Examples:",
          "  tether admin access-token create --project group/app --expires-in 720h \\",
          "      --token-out ci.token",
          "  tether admin access-token create --project group/app \\",
          "      --environment production --token-out ci-production.token",
          "  tether admin access-token create --user alice --project group/app \\",
          "      --group developers --token-out alice.token"
      })
  static final class Create implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin SecretOutput secret;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--user", paramLabel = "NAME",
        description = "A person's token, for this user name, like alice or alice@example.com (letters, digits and . _ @ -).")
    String user;

    @Option(names = "--project", paramLabel = "ID",
        description = "Without --user: the CI project the token stands for. With --user: a project the person is a member of (repeatable).")
    List<String> projects = new ArrayList<>();

    @Option(names = "--environment", paramLabel = "NAME",
        description = "For a CI token: the environment its jobs deploy to, like production or review/fix-login. An agent's ci_access"
            + " entry with environments lets in only tokens of one of them.")
    String environment;

    @Option(names = "--group", paramLabel = "GROUP", description = "With --user: a Kubernetes group the person is in (repeatable);"
        + " not empty and not starting with system: or tether:.")
    List<String> groups = new ArrayList<>();

    @Option(names = "--expires-in", paramLabel = "DURATION", description = "Lifetime, like 24h or 720h (default: until revoked).")
    String expiresIn;

    @Option(names = "--description", paramLabel = "TEXT", defaultValue = "", description = "What the token is for.")
    String description;

    @Override
    public Integer call() {
      Map<String, Object> body = new LinkedHashMap<>();
      if (user == null) {
        if (projects.size() != 1 || !groups.isEmpty()) {
          throw new CommandLine.ParameterException(spec.commandLine(), "a CI token needs exactly one --project (and no --group); "
              + "for a person's token give --user");
        }
        body.put("project", projects.get(0));
        if (environment != null) {
          body.put("environment", environment);
        }
      } else {
        if (environment != null) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--environment is for CI tokens (--project without --user)");
        }
        body.put("user", user);
        body.put("projects", projects);
        body.put("groups", groups);
      }
      if (expiresIn != null) {
        body.put("expires_in", expiresIn);
      }
      body.put("description", description);
      secret.checkWritable();
      AdminClient client = connection.client();
      // Asked first: a token created but not delivered because of a later failure would be lost.
      ServerAddresses server = ServerAddresses.of(connection, client);
      JsonNode created = client.post("/api/v1/access-tokens", body);
      PrintWriter out = spec.commandLine().getOut();
      JsonNode token = created.get("token");
      out.printf("Access token %s created for %s%s:%n", token.get("id").asText(),
          user == null ? "CI jobs of project '" + projects.get(0) + "'" + (environment == null ? "" : " in environment '" + environment + "'")
              : "user '" + user + "'",
          token.hasNonNull("expires_at") ? " (expires " + token.get("expires_at").asText() + ")" : "");
      out.println(secret.deliver(created.get("secret").asText(), out));
      out.printf("Make a kubeconfig with: tether kubeconfig --agent <agent> --token-file %s --server %s%s%n",
          secret.tokenOut != null ? secret.tokenOut : "<file with the token>", server.kubeProxyUrl(), server.caFileOption());
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists access tokens (never their secrets).",
      footer = {"", "Examples:", "  tether admin access-token list", "  tether admin access-token list -o json"})
  static final class ListTokens implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @Mixin Output output;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      JsonNode tokens = connection.client().get("/api/v1/access-tokens");
      PrintWriter out = spec.commandLine().getOut();
      if (output.printedAsJson(out, tokens)) {
        return 0;
      }
      TextTable table = new TextTable("ID", "FOR", "STATE", "EXPIRES", "LAST USED", "DESCRIPTION");
      for (JsonNode t : tokens) {
        String who = t.get("kind").asText().equals("ci")
            ? "ci " + t.get("project").asText() + (t.hasNonNull("environment") ? " (" + t.get("environment").asText() + ")" : "")
            : "user " + t.get("user").asText();
        table.add(t.get("id").asText(), who, t.get("state").asText(), Output.text(t, "expires_at"), Output.ago(t, "last_used_at"),
            Output.text(t, "description"));
      }
      out.print(table.plain());
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revokes an access token; requests using it are ended.",
      footer = {"", "Example:", "  tether admin access-token revoke a-abcdefgh23"})
  static final class Revoke implements Callable<Integer> {
    @Mixin AdminConnection connection;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The access token's id, as `tether admin access-token list` shows it.")
    String id;

    @Override
    public Integer call() {
      connection.client().delete("/api/v1/access-tokens/" + id);
      spec.commandLine().getOut().printf("Access token %s revoked.%n", id);
      return 0;
    }
  }
}
