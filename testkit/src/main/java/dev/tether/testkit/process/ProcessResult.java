package dev.tether.testkit.process;

import java.util.List;

/** What a finished external command did. */
public record ProcessResult(List<String> command, int exitCode, String stdout, String stderr) {

  public boolean succeeded() {
    return exitCode == 0;
  }

  /** Fails with the command, exit code and both outputs when the command did not succeed. */
  public ProcessResult orThrow() {
    if (!succeeded()) {
      throw new IllegalStateException(describe());
    }
    return this;
  }

  public String describe() {
    return "`" + String.join(" ", command) + "` exited with " + exitCode
        + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
  }
}
