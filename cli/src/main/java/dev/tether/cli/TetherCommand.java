package dev.tether.cli;

import dev.tether.common.TetherVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `tether` program: one jar, a subcommand per role. */
@Command(
    name = "tether",
    mixinStandardHelpOptions = true,
    versionProvider = TetherCommand.Version.class,
    description = {
        "Connects Kubernetes clusters to Git without exposing any cluster's API.",
        "The agent runs in a cluster and dials out to the server; the server reads Git and drives its agents."
    },
    subcommands = {ServerCommand.class, AgentCommand.class, CommandLine.HelpCommand.class},
    footer = {
        "",
        "Examples:",
        "  tether server --data-dir /var/lib/tether",
        "  tether agent --server tether.example.com:8443 --token-file /etc/tether/token",
        "  tether help server"
    })
public final class TetherCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return new CommandLine(new TetherCommand()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    // Bare `tether` is a question: answer it with the usage, and fail so scripts notice.
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing a command: choose one of the commands below.");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"tether " + TetherVersion.get(), "Java " + System.getProperty("java.version")};
    }
  }
}
