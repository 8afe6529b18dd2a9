package dev.tether.server.git;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GitUrlsTest {
  @Test
  void acceptsEveryKindOfGitHost() {
    assertThat(GitUrls.problem("https://gitlab.example.com/group/app.git")).isEmpty();
    assertThat(GitUrls.problem("http://127.0.0.1:8080/git/app.git")).isEmpty();
    assertThat(GitUrls.problem("https://oauth2@gitlab.example.com/group/app.git")).isEmpty();
    assertThat(GitUrls.problem("git://127.0.0.1:9418/app.git")).isEmpty();
    assertThat(GitUrls.problem("ssh://git@github.com/group/app.git")).isEmpty();
    assertThat(GitUrls.problem("git@github.com:group/app.git")).isEmpty();
    assertThat(GitUrls.problem("/srv/git/app.git")).isEmpty();
    assertThat(GitUrls.problem("file:///srv/git/app.git")).isEmpty();
  }

  @Test
  void refusesPasswordsInUrlsAndNonsense() {
    assertThat(GitUrls.problem("https://bob:hunter2@git.example.com/x.git"))
        .hasValueSatisfying(p -> assertThat(p).contains("contains a password").doesNotContain("hunter2"));
    assertThat(GitUrls.problem("relative/path")).hasValueSatisfying(p -> assertThat(p).contains("is not a Git URL"));
    assertThat(GitUrls.problem("")).isPresent();
    assertThat(GitUrls.problem("https:///nohost")).isPresent();
  }

  @Test
  void refusesUrlsWhoseHostJGitReadsDifferently() {
    // java.net.URI reads git.example.com; JGit, which connects, reads 127.0.0.1.
    assertThat(GitUrls.problem("http://git.example.com#@127.0.0.1/x.git")).hasValueSatisfying(p -> assertThat(p).contains("ambiguous"));
    assertThat(GitUrls.problem("http://git.example.com?@127.0.0.1/x.git")).isPresent();
    assertThat(GitUrls.target("http://git.example.com#@127.0.0.1/x.git")).hasValueSatisfying(t ->
        assertThat(t.host()).isEqualTo("127.0.0.1"));
    assertThat(GitUrls.target("git@git.example.com:group/app.git")).contains(new GitUrls.Target("ssh", "git.example.com", -1));
    assertThat(GitUrls.target("ssh://git@[::1]:2222/app.git")).contains(new GitUrls.Target("ssh", "::1", 2222));
  }

  @Test
  void redactsPasswordsFromMessages() {
    assertThat(GitUrls.redact("cannot fetch https://bob:hunter2@git.example.com/x.git: denied"))
        .isEqualTo("cannot fetch https://bob:***@git.example.com/x.git: denied");
  }
}
