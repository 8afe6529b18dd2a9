package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** docs/cli.md is the commands' own help, and that help is complete: a description, examples, every option explained. */
class CliReferenceTest {
  /** What rewrites docs/cli.md from the commands; the failure message names it. */
  static final String UPDATE_COMMAND = "mvn -pl cli -am test -Dtest=CliReferenceTest "
      + "-Dsurefire.failIfNoSpecifiedTests=false -Dtether.docs.update=true";
  // Surefire runs tests in the module's folder; the docs are at the top of the repository.
  private static final Path DOC = Path.of("..", "docs", "cli.md");
  /** The narrowest terminal an example command must fit in without being broken. */
  private static final int EXAMPLE_WIDTH = 80;

  @Test
  void docsCliMdIsTheCommandsHelp() throws IOException {
    String generated = CliReference.markdown();
    if (Boolean.getBoolean("tether.docs.update")) {
      Files.createDirectories(DOC.getParent());
      Files.writeString(DOC, generated, StandardCharsets.UTF_8);
      System.out.println("Wrote " + DOC.toAbsolutePath().normalize());
      return;
    }
    assertThat(DOC).as("%s is missing; write it with:%n  %s", DOC.toAbsolutePath().normalize(), UPDATE_COMMAND).exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8))
        .as("docs/cli.md is not what the commands' help says now. If the change to the commands is meant, rewrite it with:%n  %s%n"
            + "and commit it with the change", UPDATE_COMMAND)
        .isEqualTo(generated);
  }

  @Test
  void everyCommandHasADescriptionAndExamples() {
    List<String> problems = new ArrayList<>();
    for (CommandLine command : CliReference.commands(CliReference.commandLine())) {
      CommandSpec spec = command.getCommandSpec();
      if (String.join("", spec.usageMessage().description()).isBlank()) {
        problems.add(spec.qualifiedName() + ": no description");
      }
      if (!String.join("\n", spec.usageMessage().footer()).contains("Example")) {
        problems.add(spec.qualifiedName() + ": no \"Examples:\" in its footer");
      }
    }
    assertThat(problems).as("every command's help needs a description and examples").isEmpty();
  }

  @Test
  void everyOptionAndParameterIsExplained() {
    List<String> problems = new ArrayList<>();
    for (CommandLine command : CliReference.commands(CliReference.commandLine())) {
      CommandSpec spec = command.getCommandSpec();
      List<ArgSpec> args = new ArrayList<>(spec.options());
      args.addAll(spec.positionalParameters());
      for (ArgSpec arg : args) {
        if (String.join("", arg.description()).isBlank()) {
          String name = arg instanceof OptionSpec option ? option.longestName() : arg.paramLabel();
          problems.add(spec.qualifiedName() + " " + name + ": no description");
        }
      }
    }
    assertThat(problems).as("every option and parameter needs a description").isEmpty();
  }

  @Test
  void exampleCommandsFitAnEightyColumnTerminal() {
    List<String> problems = new ArrayList<>();
    for (CommandLine command : CliReference.commands(CliReference.commandLine())) {
      CommandSpec spec = command.getCommandSpec();
      for (String line : spec.usageMessage().footer()) {
        // Indented footer lines are commands: help wraps at the terminal's width, which would break them mid-word.
        if (line.startsWith(" ") && line.length() > EXAMPLE_WIDTH) {
          problems.add(spec.qualifiedName() + ": " + line.length() + " columns: " + line.strip());
        }
      }
    }
    assertThat(problems).as("example lines longer than %d columns; continue them on the next line with \\", EXAMPLE_WIDTH)
        .isEmpty();
  }
}
