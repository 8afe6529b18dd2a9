package dev.tether.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.testkit.git.GitDaemon;
import dev.tether.testkit.git.GitHttpServer;
import dev.tether.testkit.git.GitRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proves the Git fixtures: a repository made by the git CLI, served by path, git:// and HTTP with auth. */
class GitTransportsSmokeTest {
  private static final String USER = "deployer";
  private static final String PASSWORD = "s3cret-for-tests";

  @TempDir
  static Path root;
  static GitRepository repo;
  static GitDaemon daemon;
  static GitHttpServer http;

  @BeforeAll
  static void serve() throws Exception {
    Path content = Files.createDirectories(root.resolve("content/manifests"));
    Files.writeString(content.resolve("app.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n");
    repo = GitRepository.fromFolder(root.resolve("repos"), "app", root.resolve("content"));
    daemon = GitDaemon.serve(root.resolve("repos"));
    http = GitHttpServer.serve(root.resolve("repos"), USER, PASSWORD);
  }

  @AfterAll
  static void stop() {
    daemon.close();
    http.close();
  }

  private static Path cloneFrom(String url, CredentialsProvider credentials, Path into) throws Exception {
    try (Git git = Git.cloneRepository().setURI(url).setDirectory(into.toFile())
        .setCredentialsProvider(credentials).call()) {
      assertThat(git.getRepository().resolve("HEAD").name()).isEqualTo(repo.head());
    }
    return into;
  }

  @Test
  @DisplayName("JGit clones the repository by path")
  void cloneOverPath(@TempDir Path into) throws Exception {
    cloneFrom(repo.bareDir().toString(), null, into);
    assertThat(into.resolve("manifests/app.yaml")).exists();
  }

  @Test
  @DisplayName("JGit clones the repository over git:// from git daemon")
  void cloneOverGitDaemon(@TempDir Path into) throws Exception {
    cloneFrom(daemon.url(repo), null, into);
    assertThat(into.resolve("manifests/app.yaml")).exists();
  }

  @Test
  @DisplayName("JGit clones the repository over smart HTTP with the right password")
  void cloneOverHttp(@TempDir Path into) throws Exception {
    cloneFrom(http.url(repo), new UsernamePasswordCredentialsProvider(USER, PASSWORD), into);
    assertThat(into.resolve("manifests/app.yaml")).exists();
  }

  @Test
  @DisplayName("a wrong HTTP password fails with a clear 'not authorized' message naming the URL")
  void wrongPasswordFailsClearly(@TempDir Path into) {
    assertThatThrownBy(() -> Git.cloneRepository().setURI(http.url(repo)).setDirectory(into.toFile())
        .setCredentialsProvider(new UsernamePasswordCredentialsProvider(USER, "wrong")).call())
        .isInstanceOf(TransportException.class)
        .hasMessageContaining(http.url(repo))
        .hasMessageContaining("not authorized")
        .hasMessageNotContaining("wrong");
  }

  @Test
  @DisplayName("a commit pushed with the git CLI reaches clones over all three transports")
  void pushedCommitIsFetched(@TempDir Path work) throws Exception {
    CredentialsProvider credentials = new UsernamePasswordCredentialsProvider(USER, PASSWORD);
    Path byPath = cloneFrom(repo.bareDir().toString(), null, work.resolve("path"));
    Path byDaemon = cloneFrom(daemon.url(repo), null, work.resolve("daemon"));
    Path byHttp = cloneFrom(http.url(repo), credentials, work.resolve("http"));

    String commit = repo.write("manifests/extra.yaml", "kind: ConfigMap\n").commitAndPush("Add extra");

    for (Path clone : new Path[] {byPath, byDaemon, byHttp}) {
      try (Git git = Git.open(clone.toFile())) {
        git.pull().setCredentialsProvider(credentials).call();
        assertThat(git.getRepository().resolve("HEAD").name()).isEqualTo(commit);
      }
      assertThat(clone.resolve("manifests/extra.yaml")).exists();
    }
  }
}
