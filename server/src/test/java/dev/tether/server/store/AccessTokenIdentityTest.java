package dev.tether.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessTokenIdentityTest {
  @ParameterizedTest
  @ValueSource(strings = {"system:masters", "system:authenticated", "system:nodes", "system:serviceaccounts",
      "system:serviceaccounts:kube-system", "system:kube-controller-manager", "system:monitoring", "System:Masters"})
  void groupsOfTheClusterItselfAreRefused(String group) {
    assertThat(AccessTokenIdentity.groupProblem(group)).hasValueSatisfying(problem -> assertThat(problem)
        .startsWith("group '" + group + "' is not allowed: groups starting with system: belong to the cluster itself")
        .contains("use a group of your own"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tether:ci", "tether:user", "tether:project:group/app", "tether:agent:prod", "tether:group:group"})
  void groupsTetherGivesAreRefused(String group) {
    assertThat(AccessTokenIdentity.groupProblem(group)).hasValueSatisfying(problem -> assertThat(problem)
        .startsWith("group '" + group + "' is not allowed: groups starting with tether: are the ones Tether gives"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", " developers", "developers ", "dev,ops", "dev\nops", "dev\u0000ops"})
  void emptyAndMalformedGroupsAreRefused(String group) {
    assertThat(AccessTokenIdentity.groupProblem(group)).isPresent();
  }

  @Test
  void aNullOrOverlongGroupIsRefused() {
    assertThat(AccessTokenIdentity.groupProblem(null)).hasValueSatisfying(p -> assertThat(p).contains("a group is empty"));
    assertThat(AccessTokenIdentity.groupProblem("g".repeat(257))).hasValueSatisfying(p -> assertThat(p).contains("longer than 256"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"developers", "team/platform", "oidc:admins", "sre@example.com", "Ops Team", "systems", "tether"})
  void ordinaryGroupsAreAllowed(String group) {
    assertThat(AccessTokenIdentity.groupProblem(group)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"system:admin", "system:serviceaccount:kube-system:default", "system:kube-scheduler", "SYSTEM:admin"})
  void userNamesOfTheClusterAreRefused(String name) {
    assertThat(AccessTokenIdentity.userNameProblem(name)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("user name '" + name + "' is not allowed: names starting with system: belong to the cluster's own components"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "alice bob", ":alice", "tether:user:alice", "-alice"})
  void malformedUserNamesAreRefused(String name) {
    assertThat(AccessTokenIdentity.userNameProblem(name)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"alice", "alice@example.com", "a.b-c_d", "system"})
  void ordinaryUserNamesAreAllowed(String name) {
    assertThat(AccessTokenIdentity.userNameProblem(name)).isEmpty();
  }

  @Test
  void aStoredTokenIsHeldToTheSameRule() {
    assertThat(AccessTokenIdentity.problem(userToken("alice", List.of("developers")))).isEmpty();
    assertThat(AccessTokenIdentity.problem(userToken("alice", List.of("developers", "system:masters"))))
        .hasValueSatisfying(p -> assertThat(p).contains("group 'system:masters' is not allowed"));
    assertThat(AccessTokenIdentity.problem(userToken("system:admin", List.of())))
        .hasValueSatisfying(p -> assertThat(p).contains("user name 'system:admin' is not allowed"));
  }

  static AccessToken userToken(String name, List<String> groups) {
    return new AccessToken("a-test", "user", Optional.empty(), Optional.empty(), Optional.of(name), List.of("group/app"), groups,
        "", Instant.EPOCH, Optional.empty(), Optional.empty(), Optional.empty());
  }
}
