package dev.tether.cli;

import dev.tether.common.TetherVersion;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;

/**
 * Writes {@code docs/cli.md}: every command's help, exactly as {@code tether … --help} prints it
 * when its output is not a terminal. It lives with the tests because only {@link CliReferenceTest}
 * runs it (to compare, or with {@code -Dtether.docs.update=true} to rewrite the file); users never
 * need it, so it stays out of the jar.
 */
final class CliReference {
  /** What the version in the help (the default image's tag) is shown as, so a release does not change the file. */
  static final String VERSION_PLACEHOLDER = "<version>";

  private CliReference() {}

  /** Every command under {@code tether}, depth first in the order help lists them, without picocli's {@code help}. */
  static List<CommandLine> commands(CommandLine root) {
    List<CommandLine> all = new ArrayList<>();
    collect(root, all);
    return all;
  }

  private static void collect(CommandLine command, List<CommandLine> into) {
    into.add(command);
    for (CommandLine sub : command.getSubcommands().values()) {
      // A command registered under several names (aliases) appears once.
      if (sub.getCommand() instanceof CommandLine.HelpCommand || into.contains(sub)) {
        continue;
      }
      collect(sub, into);
    }
  }

  /** The command tree as users get it, at the fixed width help has when it cannot see a terminal. */
  static CommandLine commandLine() {
    return TetherCommand.commandLine().setUsageHelpAutoWidth(false).setUsageHelpWidth(TetherCommand.USAGE_WIDTH);
  }

  static String markdown() {
    List<CommandLine> commands = commands(commandLine());
    StringBuilder md = new StringBuilder();
    md.append("# Command-line reference\n\n");
    md.append("<!-- Generated from the commands' own help by CliReference; do not edit by hand. After changing a command,\n");
    md.append("     rewrite this file with: ").append(CliReferenceTest.UPDATE_COMMAND).append(" -->\n\n");
    md.append("Tether is one program, `tether`, with a subcommand per role: `tether server` runs the server,\n");
    md.append("`tether agent` runs the agent in a cluster, `tether admin …` manages the server over its HTTP API, and\n");
    md.append("`tether kubeconfig` writes a kubeconfig for the Kubernetes API proxy. This page is every command's\n");
    md.append("`--help`, as printed when the output is not a terminal (").append(TetherCommand.USAGE_WIDTH)
        .append(" columns); in a terminal, help\n");
    md.append("fits the terminal's width. `").append(VERSION_PLACEHOLDER)
        .append("` stands for the version of your `tether` (`tether --version`).\n\n");
    md.append("Every command takes `-h`/`--help` and `-V`/`--version`; `tether help <command>` is the same as\n");
    md.append("`tether <command> --help`. Commands exit with 0 on success, 1 when the work failed and 2 when the\n");
    md.append("command line was wrong.\n\n");
    md.append("## Contents\n\n");
    for (CommandLine command : commands) {
      int depth = command.getCommandSpec().qualifiedName().split(" ").length - 1;
      md.append("  ".repeat(depth)).append("- [").append(heading(command)).append("](#").append(anchor(command)).append(")\n");
    }
    for (CommandLine command : commands) {
      md.append("\n## ").append(heading(command)).append("\n\n");
      md.append("```text\n").append(usage(command)).append("```\n");
    }
    return md.toString();
  }

  private static String heading(CommandLine command) {
    return "`" + command.getCommandSpec().qualifiedName() + "`";
  }

  /** The anchor GitHub and most Markdown renderers give the heading: lower case, spaces as hyphens. */
  static String anchor(CommandLine command) {
    return command.getCommandSpec().qualifiedName().toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
  }

  /** The help text without trailing spaces, ending in one newline. */
  static String usage(CommandLine command) {
    String text = command.getUsageMessage(Ansi.OFF).replace("\r\n", "\n").replace(TetherVersion.get(), VERSION_PLACEHOLDER);
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      out.append(line.stripTrailing()).append('\n');
    }
    return out.toString().replaceAll("\n+$", "\n");
  }
}
