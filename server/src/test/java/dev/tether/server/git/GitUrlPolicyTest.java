package dev.tether.server.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GitUrlPolicyTest {
  /** Host names as a DNS server would answer them; literal addresses are parsed as the JVM does. */
  private static final Map<String, String> DNS = Map.of(
      "git.example.com", "203.0.113.10",
      "internal.example.com", "10.1.2.3",
      "rebound.example.com", "169.254.169.254",
      "sneaky.example.com", "127.0.0.1");

  private static GitUrlPolicy policy(boolean localPaths, String... rules) {
    return new GitUrlPolicy(List.of(rules).stream().map(GitUrlRule::parse).toList(), localPaths, GitUrlPolicyTest::resolve);
  }

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    var literal = IpNetwork.literal(host);
    if (literal.isPresent()) {
      return new InetAddress[] {literal.get()};
    }
    String address = DNS.get(host);
    if (address == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {InetAddress.getByAddress(host, InetAddress.getByName(address).getAddress())};
  }

  @Test
  void defaultsAllowNetworkSchemesToOrdinaryHosts() {
    GitUrlPolicy defaults = policy(false, GitUrlPolicy.DEFAULT_RULES.toArray(String[]::new));
    assertThat(defaults.refusalToFetch("https://git.example.com/group/app.git")).isEmpty();
    assertThat(defaults.refusalToFetch("git@git.example.com:group/app.git")).isEmpty();
    assertThat(defaults.refusalToFetch("git://git.example.com/app.git")).isEmpty();
    assertThat(defaults.refusalToFetch("http://internal.example.com:8080/app.git")).as("private networks are ordinary").isEmpty();
  }

  @Test
  void defaultsRefuseLoopbackLinkLocalAndMetadataAddresses() {
    GitUrlPolicy defaults = policy(false, GitUrlPolicy.DEFAULT_RULES.toArray(String[]::new));
    assertThat(defaults.refusalToStore("http://127.0.0.1:8080/app.git")).hasValueSatisfying(r ->
        assertThat(r).contains("127.0.0.1 is a loopback address", "--allow-git-url 127.0.0.1"));
    assertThat(defaults.refusalToStore("http://127.1.2.3/app.git")).isPresent();
    assertThat(defaults.refusalToStore("http://[::1]/app.git")).hasValueSatisfying(r -> assertThat(r).contains("--allow-git-url ::1"));
    assertThat(defaults.refusalToStore("http://[::ffff:127.0.0.1]/app.git")).as("IPv4-mapped loopback").isPresent();
    assertThat(defaults.refusalToStore("http://0.0.0.0:80/app.git")).isPresent();
    assertThat(defaults.refusalToStore("http://169.254.169.254/latest/meta-data")).hasValueSatisfying(r ->
        assertThat(r).contains("link-local"));
    assertThat(defaults.refusalToStore("http://[fe80::1]/app.git")).isPresent();
    assertThat(defaults.refusalToStore("http://[fd00:ec2::254]/app.git")).hasValueSatisfying(r -> assertThat(r).contains("metadata"));
    assertThat(defaults.refusalToStore("ssh://git@127.0.0.1:2222/app.git")).isPresent();
    assertThat(defaults.refusalToStore("git@127.0.0.1:app.git")).isPresent();
    assertThat(defaults.refusalToFetch("http://git.example.com#@127.0.0.1/x.git")).as("the host JGit connects to is checked")
        .hasValueSatisfying(r -> assertThat(r).contains("loopback"));
  }

  @Test
  void aNameThatResolvesToABlockedAddressIsRefusedWhenStoredAndBeforeEachFetch() {
    GitUrlPolicy defaults = policy(false, GitUrlPolicy.DEFAULT_RULES.toArray(String[]::new));
    assertThat(defaults.refusalToFetch("https://rebound.example.com/app.git")).hasValueSatisfying(r ->
        assertThat(r).contains("'rebound.example.com' resolves to 169.254.169.254", "link-local", "--allow-git-url 169.254.169.254"));
    assertThat(defaults.refusalToStore("https://sneaky.example.com/app.git")).isPresent();
    // Naming the host does not open the blocked address: names can change what they point to.
    assertThat(policy(false, "https://sneaky.example.com").refusalToFetch("https://sneaky.example.com/app.git")).isPresent();
  }

  @Test
  void rulesThatNameABlockedAddressOpenIt() {
    assertThat(policy(false, "127.0.0.1").refusalToFetch("http://127.0.0.1:8080/app.git")).isEmpty();
    assertThat(policy(false, "127.0.0.0/8").refusalToFetch("git://127.0.0.1:9418/app.git")).isEmpty();
    assertThat(policy(false, "127.0.0.0/8").refusalToFetch("http://sneaky.example.com/app.git")).as("by address").isEmpty();
    assertThat(policy(false, "http://127.0.0.1:8080").refusalToFetch("http://127.0.0.1:8080/app.git")).isEmpty();
    assertThat(policy(false, "http://127.0.0.1:8080").refusalToFetch("http://127.0.0.1:8081/app.git")).isPresent();
    assertThat(policy(false, "https://*", "127.0.0.1").refusalToFetch("https://rebound.example.com/app.git")).isPresent();
  }

  @Test
  void hostRulesMatchSchemeHostAndPort() {
    GitUrlPolicy policy = policy(false, "https://git.example.com", "ssh://*.example.com:2222", "10.0.0.0/8");
    assertThat(policy.refusalToFetch("https://git.example.com/app.git")).isEmpty();
    assertThat(policy.refusalToFetch("https://GIT.example.com:443/app.git")).isEmpty();
    assertThat(policy.refusalToFetch("http://git.example.com/app.git")).hasValueSatisfying(r ->
        assertThat(r).contains("not on the server's list", "--allow-git-url http://git.example.com"));
    assertThat(policy.refusalToFetch("ssh://git@git.example.com:2222/app.git")).isEmpty();
    assertThat(policy.refusalToFetch("git@git.example.com:app.git")).as("port 22, not 2222").isPresent();
    assertThat(policy.refusalToFetch("ssh://git@example.com:2222/app.git")).as("*.example.com is below example.com").isPresent();
    assertThat(policy.refusalToFetch("git://internal.example.com/app.git")).as("inside an allowed network").isEmpty();
    assertThat(policy.refusalToFetch("https://github.com/app.git")).isPresent();
  }

  @Test
  void localPathsNeedTheirOwnOption() {
    assertThat(policy(false, "https://*").refusalToStore("/srv/git/app.git")).hasValueSatisfying(r ->
        assertThat(r).contains("--allow-local-git-paths"));
    assertThat(policy(false, "https://*").refusalToStore("file:///srv/git/app.git")).isPresent();
    assertThat(policy(true).refusalToStore("/srv/git/app.git")).isEmpty();
    assertThat(policy(true).refusalToStore("FILE:///srv/git/app.git")).isEmpty();
  }

  @Test
  void aNameThatDoesNotResolveIsStoredButNotFetched() {
    GitUrlPolicy policy = policy(false, "https://*");
    assertThat(policy.refusalToStore("https://not-yet.example.com/app.git")).isEmpty();
    assertThat(policy.refusalToFetch("https://not-yet.example.com/app.git")).hasValueSatisfying(r ->
        assertThat(r).isEqualTo(GitHostErrors.unreachable(GitUrls.target("https://not-yet.example.com/app.git").orElseThrow())));
  }

  @Test
  void badRulesSayWhatIsExpected() {
    assertThatThrownBy(() -> GitUrlRule.parse("ftp://x")).hasMessageContaining("one of https, http, ssh, git");
    assertThatThrownBy(() -> GitUrlRule.parse("https://x.com/path")).hasMessageContaining("no user or path");
    assertThatThrownBy(() -> GitUrlRule.parse("https://git*.com")).hasMessageContaining("'*.example.com'");
    assertThatThrownBy(() -> GitUrlRule.parse("example.com")).hasMessageContaining("neither");
    assertThatThrownBy(() -> GitUrlRule.parse("10.0.0.0/33")).hasMessageContaining("neither");
    assertThatThrownBy(() -> GitUrlRule.parse("https://x.com:port")).hasMessageContaining("not a port number");
    assertThat(GitUrlRule.parse("https://[::1]:8443")).hasToString("https://[::1]:8443");
  }

  @Test
  void networksContainTheirAddresses() throws Exception {
    assertThat(IpNetwork.parse("10.0.0.0/8").contains(InetAddress.getByName("10.255.0.1"))).isTrue();
    assertThat(IpNetwork.parse("10.0.0.0/8").contains(InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(IpNetwork.parse("fe80::/10").contains(InetAddress.getByName("febf::1"))).isTrue();
    assertThat(IpNetwork.parse("fe80::/10").contains(InetAddress.getByName("fec0::1"))).isFalse();
    assertThat(IpNetwork.parse("192.168.1.0/23").contains(InetAddress.getByName("192.168.0.7"))).isTrue();
    assertThat(IpNetwork.parse("192.168.1.0/23").contains(InetAddress.getByName("192.168.2.7"))).isFalse();
    assertThat(IpNetwork.literal("git.example.com")).isEmpty();
  }
}
