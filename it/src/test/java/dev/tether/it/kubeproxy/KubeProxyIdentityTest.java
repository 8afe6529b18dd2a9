package dev.tether.it.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.tether.agent.TetherAgent;
import dev.tether.common.token.SecretToken;
import dev.tether.it.support.ApiClient;
import dev.tether.it.support.ConfigProject;
import dev.tether.it.support.TetherHarness;
import dev.tether.server.store.AccessToken;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.WithKubernetes;
import dev.tether.testkit.process.ExternalCommand;
import dev.tether.testkit.process.FreePort;
import dev.tether.testkit.process.ProcessResult;
import dev.tether.testkit.tether.TetherJar;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whom the API server is told the caller is, and what never gets through. */
@WithKubernetes
class KubeProxyIdentityTest {
  @TempDir
  static Path dir;
  static TetherHarness tether;
  static KubeControlPlane cluster;
  static ConfigProject config;

  @BeforeAll
  static void start(KubeControlPlane plane) {
    cluster = plane;
    config = new ConfigProject(dir.resolve("repos"), "config");
    config.push("prod", """
        ci_access:
          projects:
            - id: shop/web
              environments: [production, review/*]
              access_as: { ci_job: {} }
          groups:
            - id: platform
              access_as:
                impersonate:
                  username: deploy-bot
                  groups: [deployers]
                  extra: [ { key: reason, val: [gitops] } ]
        user_access:
          access_as: { user: {} }
          groups: [ { id: group } ]
        """);
    tether = new TetherHarness(dir, Duration.ofMillis(300));
    tether.addProject("platform/config", config.repo().bareDir().toString(), Map.of());
    TetherAgent agent = tether.startAgent(tether.createAgent("prod", "platform/config"), Optional.of(plane.kubeconfig()));
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.configuration().isPresent());
  }

  @AfterAll
  static void stop() {
    tether.close();
  }

  private static Path token(Map<String, Object> request, String name) throws Exception {
    JsonNode created = tether.api().post("/api/v1/access-tokens", request);
    Path file = dir.resolve(name + ".token");
    Files.writeString(file, created.get("secret").asText());
    return file;
  }

  private static Path kubeconfig(String agent, Path token, String name) {
    return kubeconfig(agent, token, name, false);
  }

  /** With {@code refusedToken}, a namespace is given so that `tether kubeconfig` does not ask the proxy, which would refuse it. */
  private static Path kubeconfig(String agent, Path token, String name, boolean refusedToken) {
    Path out = dir.resolve(name + ".kubeconfig");
    List<String> args = new java.util.ArrayList<>(List.of("kubeconfig", "--agent", agent, "--token-file", token.toString(), "--server",
        tether.server().kubeProxyUrl(), "--ca-file", tether.caFile().toString(), "--out", out.toString()));
    if (refusedToken) {
      args.addAll(List.of("--namespace", "default"));
    }
    TetherJar.run(args.toArray(String[]::new)).run().orThrow();
    return out;
  }

  private static JsonNode whoami(Path kubeconfig) throws Exception {
    ProcessResult result = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString(),
        "auth", "whoami", "-o", "json").run().orThrow();
    return ApiClient.JSON.readTree(result.stdout()).path("status").path("userInfo");
  }

  @Test
  @DisplayName("a person's token, let in by user_access through a group of their project, acts as tether:user:<name> with their groups")
  void userIdentity() throws Exception {
    Path alice = kubeconfig("prod", token(Map.of("user", "alice", "projects", List.of("group/app"), "groups", List.of("developers")), "alice"),
        "alice");

    JsonNode me = whoami(alice);

    assertThat(me.path("username").asText()).isEqualTo("tether:user:alice");
    assertThat(me.path("groups").toString()).contains("tether:user", "developers", "tether:agent:prod");
  }

  @Test
  @DisplayName("a token may not carry the cluster's identities (system:masters): refused with 400 by the API and the CLI, "
      + "and one stored before the rule is refused when used")
  void clusterIdentitiesAreRefused() throws Exception {
    Map<Map<String, Object>, String> requests = Map.of(
        Map.of("user", "mallory", "projects", List.of("group/app"), "groups", List.of("developers", "system:masters")),
        "group 'system:masters' is not allowed: groups starting with system: belong to the cluster itself",
        Map.of("user", "mallory", "projects", List.of("group/app"), "groups", List.of("system:serviceaccounts:kube-system")),
        "group 'system:serviceaccounts:kube-system' is not allowed",
        Map.of("user", "mallory", "projects", List.of("group/app"), "groups", List.of("tether:agent:prod")),
        "group 'tether:agent:prod' is not allowed: groups starting with tether: are the ones Tether gives",
        Map.of("user", "mallory", "projects", List.of("group/app"), "groups", List.of("")),
        "a group is empty",
        Map.of("user", "system:admin", "projects", List.of("group/app")),
        "user name 'system:admin' is not allowed: names starting with system: belong to the cluster's own components");
    for (Map.Entry<Map<String, Object>, String> request : requests.entrySet()) {
      ApiClient.Response refused = tether.api().send("POST", "/api/v1/access-tokens", ApiClient.json(request.getKey()),
          Map.of("Authorization", "Bearer " + tether.adminToken(), "Content-Type", "application/json"));

      assertThat(refused.status()).as(request.getKey().toString()).isEqualTo(400);
      assertThat(refused.body().path("error").asText()).startsWith(request.getValue());
    }

    Path tokenOut = dir.resolve("mallory.token");
    ProcessResult cli = TetherJar.run("admin", "access-token", "create", "--user", "mallory", "--project", "group/app",
        "--group", "system:masters", "--token-out", tokenOut.toString(), "--server-url", tether.server().httpUrl(),
        "--admin-token-file", tether.server().adminTokenFile().toString()).run();
    assertThat(cli.exitCode()).isNotZero();
    assertThat(cli.stderr()).contains("group 'system:masters' is not allowed");
    assertThat(tokenOut).doesNotExist();
    assertThat(tether.api().get("/api/v1/access-tokens").findValuesAsText("user")).doesNotContain("mallory", "system:admin");

    // As a token created before the rule was stored: the proxy refuses it, so it never reaches the API server as system:masters.
    SecretToken secret = SecretToken.generate(SecretToken.Kind.ACCESS);
    tether.server().store().accessTokens().add(new AccessToken("a-storedbefore", "user", Optional.empty(), Optional.empty(),
        Optional.of("mallory"), List.of("group/app"), List.of("system:masters"), "stored before the rule", Instant.now(),
        Optional.empty(), Optional.empty(), Optional.empty()), secret.digest());
    Path legacy = dir.resolve("legacy.token");
    Files.writeString(legacy, secret.reveal());
    ProcessResult used = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig",
        kubeconfig("prod", legacy, "legacy", true).toString(), "get", "namespaces").run();
    assertThat(used.exitCode()).isNotZero();
    assertThat(used.stderr()).contains("Forbidden")
        .contains("access token a-storedbefore of user mallory may not be used: group 'system:masters' is not allowed")
        .contains("tether admin access-token revoke a-storedbefore");
  }

  @Test
  @DisplayName("ci_access environments: only CI tokens of a listed environment (wildcards too) get in, with the environment in their groups")
  void environmentsRestrictCiTokens() throws Exception {
    JsonNode production = whoami(kubeconfig("prod", token(Map.of("project", "shop/web", "environment", "production"), "web-prod"),
        "web-prod"));
    assertThat(production.path("username").asText()).isEqualTo("tether:ci:shop/web");
    assertThat(production.path("groups").toString()).contains("tether:project_env:shop/web:production", "tether:agent:prod");
    assertThat(whoami(kubeconfig("prod", token(Map.of("project", "shop/web", "environment", "review/fix-login"), "web-review"),
        "web-review")).path("groups").toString()).contains("tether:project_env:shop/web:review/fix-login");

    for (Map<String, Object> request : List.of(Map.<String, Object>of("project", "shop/web", "environment", "staging"),
        Map.<String, Object>of("project", "shop/web"))) {
      Path kubeconfig = kubeconfig("prod", token(request, "web-other"), "web-other", true);
      ProcessResult refused = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig.toString(),
          "get", "namespaces").run();
      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.stderr()).contains("Forbidden").contains("only for the environments [production, review/*]")
          .contains(request.containsKey("environment") ? "is for environment 'staging'" : "names no environment");
    }
  }

  @Test
  @DisplayName("access_as impersonate acts as the configured user, groups and extra")
  void fixedImpersonation() throws Exception {
    JsonNode me = whoami(kubeconfig("prod", token(Map.of("project", "platform/releases"), "releases"), "releases"));

    assertThat(me.path("username").asText()).isEqualTo("deploy-bot");
    assertThat(me.path("groups").toString()).contains("deployers");
    assertThat(me.path("extra").path("reason").toString()).contains("gitops");
  }

  @Test
  @DisplayName("expired and revoked access tokens get 401; revoking one ends its running watch")
  void expiredAndRevoked() throws Exception {
    Path expiring = token(Map.of("project", "platform/short", "expires_in", "1s"), "short");
    Thread.sleep(1500);
    ProcessResult expired = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig",
        kubeconfig("prod", expiring, "short", true).toString(), "get", "--raw", "/api").run();
    assertThat(expired.stderr()).contains("expired at");

    // platform/* acts as deploy-bot here; let it watch namespaces.
    cluster.runKubectl("create", "clusterrolebinding", "deploy-bot-view", "--clusterrole", "view", "--user", "deploy-bot");
    Path token = token(Map.of("project", "platform/watcher"), "watcher");
    Process watch = new ProcessBuilder(cluster.binaries().kubectl().toString(), "--kubeconfig", kubeconfig("prod", token, "watcher").toString(),
        "get", "--raw", "/api/v1/namespaces?watch=true").redirectErrorStream(true).start();
    try {
      Thread.sleep(1000);
      assertThat(watch.isAlive()).as(watch.isAlive() ? "" : new String(watch.getInputStream().readAllBytes())).isTrue();
      String id = tether.api().get("/api/v1/access-tokens").findValues("id").stream().map(JsonNode::asText)
          .filter(i -> !i.isEmpty()).reduce((a, b) -> b).orElseThrow();

      tether.api().delete("/api/v1/access-tokens/" + id);

      await().atMost(Duration.ofSeconds(10)).until(() -> !watch.isAlive());
      ProcessResult after = ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig", dir.resolve("watcher.kubeconfig").toString(),
          "get", "--raw", "/api").run();
      assertThat(after.stderr()).contains("was revoked");
    } finally {
      watch.destroyForcibly();
    }
  }

  @Test
  @DisplayName("kubectl exec goes through as the impersonated identity: 403 without pods/exec, else the API server's own answer")
  void upgradesAreAuthorizedByTheCluster(io.fabric8.kubernetes.client.KubernetesClient client, dev.tether.testkit.k8s.TestNamespace ns)
      throws Exception {
    // No node runs it: past authorization, the API server itself refuses the exec (400), which tells us it got that far.
    client.pods().resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("shell").endMetadata()
        .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create();
    Path kubeconfig = kubeconfig("prod", token(Map.of("project", "platform/exec"), "exec"), "exec");
    java.util.function.Supplier<ProcessResult> exec = () -> ExternalCommand.of(cluster.binaries().kubectl().toString(), "--kubeconfig",
        kubeconfig.toString(), "exec", "-n", ns.name(), "shell", "--", "true").timeout(Duration.ofSeconds(60)).run();

    // kubectl reads the Pod first: deploy-bot may, but may not exec.
    cluster.runKubectl("create", "role", "read", "-n", ns.name(), "--verb", "get", "--resource", "pods");
    cluster.runKubectl("create", "rolebinding", "deploy-bot-read", "-n", ns.name(), "--role", "read", "--user", "deploy-bot");
    ProcessResult refused = exec.get();
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).contains("User \"deploy-bot\" cannot create resource \"pods/exec\"");

    cluster.runKubectl("create", "role", "exec", "-n", ns.name(), "--verb", "create,get", "--resource", "pods/exec");
    cluster.runKubectl("create", "rolebinding", "deploy-bot-exec", "-n", ns.name(), "--role", "exec", "--user", "deploy-bot");
    ProcessResult noNode = exec.get();
    assertThat(noNode.exitCode()).isNotZero();
    assertThat(noNode.stderr()).contains("pod shell does not have a host assigned");
  }

  @Test
  @DisplayName("the API server sees the agent's credentials and the decided identity only: client Authorization and Impersonate-* never get through")
  void headersAreStripped() throws Exception {
    // A stand-in API server that records what reaches it; the agent's kubeconfig points there.
    Map<String, List<String>> seen = new ConcurrentHashMap<>();
    HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext("/", exchange -> {
      exchange.getRequestHeaders().forEach(seen::put);
      byte[] body = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    upstream.start();
    Path kubeconfig = dir.resolve("recording-upstream.kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters: [ { name: c, cluster: { server: "http://127.0.0.1:%d" } } ]
        users: [ { name: u, user: { token: agent-service-account-token } } ]
        contexts: [ { name: c, context: { cluster: c, user: u } } ]
        current-context: c
        """.formatted(upstream.getAddress().getPort()));
    config.push("recorder", "ci_access:\n  projects:\n    - id: platform/recorded\n      access_as: { ci_job: {} }\n");
    TetherAgent recorder = tether.startAgent(tether.createAgent("recorder", "platform/config"), Optional.of(kubeconfig));
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> recorder.configuration().isPresent());
      String secret = Files.readString(token(Map.of("project", "platform/recorded"), "recorded")).strip();

      HttpResponse<String> response = client().send(HttpRequest.newBuilder(URI.create(tether.server().kubeProxyUrl() + "/api"))
          .header("Authorization", "Bearer recorder:" + secret)
          .header("Impersonate-User", "system:admin").header("Impersonate-Group", "system:masters")
          .header("X-Remote-User", "root").GET().build(), HttpResponse.BodyHandlers.ofString());

      System.out.println("[kubeproxy] upstream saw " + seen);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(seen.get("Authorization")).containsExactly("Bearer agent-service-account-token");
      assertThat(seen.get("Impersonate-user")).containsExactly("tether:ci:platform/recorded");
      assertThat(seen.get("Impersonate-group")).contains("tether:ci", "tether:project:platform/recorded", "tether:agent:recorder")
          .doesNotContain("system:masters");
      assertThat(seen).doesNotContainKey("X-remote-user");
      assertThat(seen.toString()).doesNotContain(secret);
    } finally {
      recorder.close();
      upstream.stop(0);
    }
  }

  @Test
  @DisplayName("an API server the agent cannot reach gives 502 with the agent's message")
  void unreachableApiServer() throws Exception {
    Path kubeconfig = dir.resolve("nowhere.kubeconfig");
    Files.writeString(kubeconfig, """
        apiVersion: v1
        kind: Config
        clusters: [ { name: c, cluster: { server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true } } ]
        users: [ { name: u, user: { token: t } } ]
        contexts: [ { name: c, context: { cluster: c, user: u } } ]
        current-context: c
        """.formatted(FreePort.pick()));
    config.push("stranded", "ci_access:\n  projects:\n    - id: platform/stranded\n");
    TetherAgent stranded = tether.startAgent(tether.createAgent("stranded", "platform/config"), Optional.of(kubeconfig));
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> stranded.configuration().isPresent());
      String secret = Files.readString(token(Map.of("project", "platform/stranded"), "stranded")).strip();

      HttpResponse<String> response = client().send(HttpRequest.newBuilder(URI.create(tether.server().kubeProxyUrl() + "/api"))
          .header("Authorization", "Bearer stranded:" + secret).GET().build(), HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(502);
      assertThat(ApiClient.JSON.readTree(response.body()).path("message").asText())
          .contains("agent 'stranded'").contains("cannot reach the API server");
    } finally {
      stranded.close();
    }
  }

  private static HttpClient client() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(tether.caFile())));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).build();
  }
}
