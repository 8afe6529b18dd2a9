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
  void redactsPasswordsFromMessages() {
    assertThat(GitUrls.redact("cannot fetch https://bob:hunter2@git.example.com/x.git: denied"))
        .isEqualTo("cannot fetch https://bob:***@git.example.com/x.git: denied");
  }
}
