package dev.tether.server.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.proto.v1.GitopsRole;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentConnectionsTest {
  private final AgentConnections connections = new AgentConnections();
  private final Instant t0 = Instant.parse("2026-01-01T00:00:00Z");

  private AgentConnections.Connection connection(String id, int second, boolean usesLease, boolean holdsLease) {
    return new AgentConnections.Connection(id, "prod", "t1", t0.plusSeconds(second), "1", "pod-" + id, "ns", "", "127.0.0.1",
        t0, usesLease, holdsLease, "r1");
  }

  @Test
  void theOldestProcessWithoutLeaseApplies() {
    List<GitopsRole> toSecond = new ArrayList<>();
    assertThat(connections.add(connection("a", 1, false, false), r -> {}).getApplies()).isTrue();
    GitopsRole second = connections.add(connection("b", 2, false, false), toSecond::add);
    assertThat(second.getApplies()).isFalse();
    assertThat(second.getReason()).contains("connection a").contains("stop one of them");

    connections.remove("a");
    assertThat(toSecond).extracting(GitopsRole::getApplies).containsExactly(true);
    assertThat(connections.applies("prod", "b")).isTrue();
  }

  @Test
  void anOlderReplicaWithoutTheLeaseDoesNotKeepTheRoleFromTheLeader() {
    List<GitopsRole> toFollower = new ArrayList<>();
    List<GitopsRole> toLeader = new ArrayList<>();
    GitopsRole first = connections.add(connection("a", 1, true, false), toFollower::add);
    assertThat(first.getApplies()).isFalse();
    assertThat(first.getReason()).contains("does not hold the agent's Lease");

    assertThat(connections.add(connection("b", 2, true, true), toLeader::add).getApplies()).isTrue();
    assertThat(connections.applier("prod")).map(AgentConnections.Connection::id).contains("b");

    // The leader loses the Lease and the other replica gains it: the role follows the Lease.
    connections.leaseChanged("b", true, false);
    assertThat(toLeader).extracting(GitopsRole::getApplies).containsExactly(false);
    assertThat(connections.applier("prod")).isEmpty();
    connections.leaseChanged("a", true, true);
    assertThat(toFollower).extracting(GitopsRole::getApplies).containsExactly(true);
    assertThat(connections.applies("prod", "a")).isTrue();
  }

  @Test
  void aLeaderThatConnectsLaterTakesTheRoleFromAReplicaThatLostTheLease() {
    List<GitopsRole> toOld = new ArrayList<>();
    assertThat(connections.add(connection("a", 1, true, true), toOld::add).getApplies()).isTrue();
    connections.leaseChanged("a", true, false);
    assertThat(toOld).extracting(GitopsRole::getApplies).containsExactly(false);
    assertThat(connections.add(connection("b", 2, true, true), r -> {}).getApplies()).isTrue();
  }

  @Test
  void twoContendersKeepTheFirstOneAsBefore() {
    // Two clusters with one token by mistake: each holds a Lease of its own; the server still lets only one apply.
    assertThat(connections.add(connection("a", 1, true, true), r -> {}).getApplies()).isTrue();
    GitopsRole second = connections.add(connection("b", 2, true, true), r -> {});
    assertThat(second.getApplies()).isFalse();
    assertThat(second.getReason()).contains("connection a");
  }

  @Test
  void eachAgentsConnectionsAreFoundAmongManyOldestFirstAndForgottenWhenGone() {
    for (int agent = 0; agent < 2000; agent++) {
      for (int c = 0; c < 2; c++) {
        connections.add(new AgentConnections.Connection("c" + agent + "-" + c, "agent-" + agent, "t" + agent, t0.plusSeconds(10 - c), "1",
            "", "", "", "127.0.0.1", t0, false, false, "r1"), r -> {});
      }
    }
    assertThat(connections.of("agent-1234")).extracting(AgentConnections.Connection::id).containsExactly("c1234-1", "c1234-0");
    connections.remove("c1234-1");
    assertThat(connections.of("agent-1234")).extracting(AgentConnections.Connection::id).containsExactly("c1234-0");
    assertThat(connections.applies("agent-1234", "c1234-0")).as("the other connection takes over").isTrue();
    connections.remove("c1234-0");
    assertThat(connections.of("agent-1234")).isEmpty();
    assertThat(connections.of("agent-1235")).hasSize(2);
    assertThat(connections.all()).hasSize(3998);
  }
}
