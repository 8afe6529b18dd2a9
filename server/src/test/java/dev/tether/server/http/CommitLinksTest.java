package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitLinksTest {
  private static final String SHA = "0123456789abcdef0123456789abcdef01234567";

  @Test
  void linksTheHostsWhoseCommitPagesAreKnown() {
    assertThat(CommitLinks.of("https://github.com/acme/app.git", SHA)).hasValue("https://github.com/acme/app/commit/" + SHA);
    assertThat(CommitLinks.of("git@github.com:acme/app.git", SHA)).hasValue("https://github.com/acme/app/commit/" + SHA);
    assertThat(CommitLinks.of("https://gitlab.com/group/sub/app", SHA)).hasValue("https://gitlab.com/group/sub/app/-/commit/" + SHA);
    assertThat(CommitLinks.of("ssh://git@gitlab.example.com/group/app.git", SHA))
        .hasValue("https://gitlab.example.com/group/app/-/commit/" + SHA);
    assertThat(CommitLinks.of("https://codeberg.org/me/app.git", SHA)).hasValue("https://codeberg.org/me/app/commit/" + SHA);
    assertThat(CommitLinks.of("https://gitea.example.com:3000/me/app", SHA)).hasValue("https://gitea.example.com:3000/me/app/commit/" + SHA);
    assertThat(CommitLinks.of("https://forgejo.example.com/me/app/", SHA)).hasValue("https://forgejo.example.com/me/app/commit/" + SHA);
  }

  @Test
  void guessesNothingForOtherHostsOrPaths() {
    assertThat(CommitLinks.of("https://git.example.com/me/app.git", SHA)).isEmpty();
    assertThat(CommitLinks.of("/srv/git/app.git", SHA)).isEmpty();
    assertThat(CommitLinks.of("file:///srv/git/app.git", SHA)).isEmpty();
    assertThat(CommitLinks.of("https://github.com/acme", SHA)).isEmpty();
    assertThat(CommitLinks.of("https://github.com/acme/app", "not-a-commit")).isEmpty();
  }
}
