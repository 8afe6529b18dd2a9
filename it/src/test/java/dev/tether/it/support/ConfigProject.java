package dev.tether.it.support;

import dev.tether.testkit.git.GitRepository;
import java.nio.file.Path;

/** A config project the GitLab way: {@code .gitlab/agents/<name>/config.yaml} files in a real Git repository. */
public final class ConfigProject {
  private final GitRepository repo;

  public ConfigProject(Path reposRoot, String name) {
    this.repo = GitRepository.create(reposRoot, name);
    repo.write("README.md", "Agent configurations\n").commitAndPush("Start");
  }

  public GitRepository repo() {
    return repo;
  }

  /** Commits and pushes an agent's config.yaml; returns the commit. */
  public String push(String agent, String yaml) {
    return repo.write(".gitlab/agents/" + agent + "/config.yaml", yaml).commitAndPush("Configure " + agent);
  }
}
