package dev.tether.cli.admin;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = {
        "Shows the state of agents and their syncs, acts on applications (refresh, sync, pause and resume drift correction), and manages projects, chart repository credentials, agents, agent tokens and access "
            + "tokens through the server's HTTP API.",
        "Every admin command takes --server-url (default: $TETHER_SERVER_URL, else http://127.0.0.1:8080) and "
            + "--admin-token-file (default: $TETHER_ADMIN_TOKEN_FILE, else tether-data/admin-token, the file the server wrote "
            + "on first start). $TETHER_ADMIN_TOKEN, when set, is the token itself and wins over the file."
    },
    subcommands = {WaitCommand.class, StatusCommand.class, ApplicationCommands.class, ProjectCommands.class, ChartRepositoryCommands.class, AgentCommands.class, TokenCommands.class, AccessTokenCommands.class,
        EventsCommand.class},
    footer = {
        "",
        "Examples:",
        "  tether admin wait --timeout 2m",
        "  tether admin status",
        "  tether admin app sync prod group/app",
        "  tether admin project add group/config \\",
        "      --url https://git.example.com/group/config.git --token-file gl.token",
        "  tether admin agent create prod --config-project group/config \\",
        "      --token-out prod.token",
        "  tether admin agent list",
        "  tether admin token revoke t-abcdefgh23",
        "  tether admin events --agent prod"
    })
public final class AdminCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: choose one of the commands below.");
  }
}
