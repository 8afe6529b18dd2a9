package dev.tether.testkit.git;

import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.ProcessResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The real `git` program, run with no user or system configuration so results never depend on the machine. */
public final class GitCli {
  private GitCli() {}

  public static ProcessResult git(Path directory, String... args) {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    return ExternalCommand.of(command)
        .directory(directory)
        .timeout(Duration.ofMinutes(1))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_COUNT", "4")
        .env("GIT_CONFIG_KEY_0", "init.defaultBranch").env("GIT_CONFIG_VALUE_0", "main")
        .env("GIT_CONFIG_KEY_1", "user.name").env("GIT_CONFIG_VALUE_1", "Tether Test")
        .env("GIT_CONFIG_KEY_2", "user.email").env("GIT_CONFIG_VALUE_2", "test@tether.invalid")
        .env("GIT_CONFIG_KEY_3", "commit.gpgsign").env("GIT_CONFIG_VALUE_3", "false")
        .run()
        .orThrow();
  }
}
