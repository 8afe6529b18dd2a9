package dev.tether.cli;

import dev.tether.cli.admin.AdminCommand;
import dev.tether.common.TetherVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `tether` program: one jar, a subcommand per role. */
@Command(
    name = "tether",
    mixinStandardHelpOptions = true,
    versionProvider = TetherCommand.Version.class,
    description = "Connects Kubernetes clusters to Git without exposing any cluster's API. The agent runs in a cluster "
        + "and dials out to the server; the server reads Git and drives its agents.",
    subcommands = {ServerCommand.class, AgentCommand.class, AdminCommand.class, KubeconfigCommand.class, CommandLine.HelpCommand.class},
    footer = {
        "",
        "Examples:",
        "  tether server --dev-tls",
        "  tether admin project add group/config \\",
        "      --url https://git.example.com/group/config.git",
        "  tether admin agent create prod --config-project group/config \\",
        "      --token-out prod.token",
        "  tether agent --server tether.example.com:8443 --token-file prod.token",
        "  tether help server"
    })
public final class TetherCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    CommandLine commandLine = commandLine();
    int exitCode = commandLine.execute(args);
    commandLine.getOut().flush();
    commandLine.getErr().flush();
    System.exit(exitCode);
  }

  /**
   * Help's width when it cannot see a terminal (piped, in a log, in docs/cli.md). In a terminal it
   * takes the terminal's width: descriptions are written as paragraphs for picocli to wrap, and
   * example lines are kept within 80 columns so that no terminal breaks a command in two.
   */
  static final int USAGE_WIDTH = 100;

  static CommandLine commandLine() {
    // One autoflushing writer for every subcommand, flushed again before exit.
    return new CommandLine(new TetherCommand())
        .setUsageHelpWidth(USAGE_WIDTH)
        .setUsageHelpAutoWidth(true)
        .setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true))
        .setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(System.err, java.nio.charset.StandardCharsets.UTF_8), true))
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(TetherCommand::reportFailure);
  }

  /** A failed command says what went wrong in one line; the stack trace only with TETHER_DEBUG=1. */
  private static int reportFailure(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
    String message = e.getMessage() != null ? e.getMessage() : e.toString();
    command.getErr().println(command.getCommandSpec().qualifiedName() + ": " + message);
    if (System.getenv("TETHER_DEBUG") != null) {
      e.printStackTrace(command.getErr());
    }
    return e instanceof CommandLine.ParameterException ? 2 : 1;
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
