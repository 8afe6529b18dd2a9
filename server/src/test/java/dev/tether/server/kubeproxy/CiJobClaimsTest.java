package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.JWTClaimsSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a CI job's claims name the project and environment that ci_access entries are matched against. */
class CiJobClaimsTest {
  private static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder().issuer("https://ci.example.com").subject("job");
  }

  @Test
  void gitlabNamesTheProjectByProjectPath() throws Exception {
    CiJobClaims job = CiJobClaims.from(claims().claim("project_path", "group/sub/app").claim("repository", "ignored/repo")
        .claim("ref", "main").claim("ref_type", "branch").claim("environment", "review/fix-1").build());

    assertThat(job).isEqualTo(new CiJobClaims("https://ci.example.com", "job", "group/sub/app", Optional.of("review/fix-1"),
        Optional.of("main"), Optional.of("branch")));
  }

  @Test
  void githubActionsNamesItByRepository() throws Exception {
    CiJobClaims job = CiJobClaims.from(claims().claim("repository", "org/site").claim("ref", "refs/heads/main").build());

    assertThat(job.project()).isEqualTo("org/site");
    assertThat(job.environment()).isEmpty();
  }

  @Test
  void anEmptyEnvironmentIsNone() throws Exception {
    assertThat(CiJobClaims.from(claims().claim("repository", "org/site").claim("environment", "").build()).environment()).isEmpty();
  }

  @Test
  void tokensThatNameNoUsableProjectAreRefused() {
    assertThatThrownBy(() -> CiJobClaims.from(claims().build())).hasMessage(
        "it names no project: it has neither GitLab's project_path nor GitHub's repository claim");
    assertThatThrownBy(() -> CiJobClaims.from(claims().claim("project_path", "../etc").build()))
        .hasMessage("its project '../etc' is not a project path like group/app");
    assertThatThrownBy(() -> CiJobClaims.from(claims().claim("project_path", 42).build()))
        .hasMessage("its project_path claim is not a string");
    assertThatThrownBy(() -> CiJobClaims.from(claims().claim("repository", "a/b").claim("environment", "prod,staging").build()))
        .hasMessage("its environment claim has control characters or commas");
    assertThatThrownBy(() -> CiJobClaims.from(new JWTClaimsSet.Builder().claim("repository", "a/b").build()))
        .hasMessage("it has no sub claim");
  }
}
