package dev.tether.it.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.agent.gitops.ObjectResult;
import dev.tether.agent.gitops.Phase;
import dev.tether.agent.gitops.SyncOutcome;
import dev.tether.it.support.CapturedLogs;
import dev.tether.it.support.GitopsSetup;
import dev.tether.testkit.k8s.AuditLog;
import dev.tether.testkit.k8s.KubeControlPlane;
import dev.tether.testkit.k8s.TestNamespace;
import dev.tether.testkit.k8s.WithKubernetes;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secrets stay secret in every message, and a Secret written with stringData is not written again on every resync. */
@WithKubernetes
class GitopsSecretsTest {
  // Recognizable, so that any copy of them in any output is found.
  private static final String NOT_BASE64 = "leaked-value-not-base64!!";
  private static final String IN_A_LIST = "leaked-value-in-a-list";
  private static final String IN_A_MAP = "leaked-value-in-a-map";

  private static String config(TestNamespace ns, String extra) {
    return "gitops:\n  manifest_projects:\n    - id: team/app\n      default_namespace: " + ns + "\n" + extra;
  }

  private static final String MALFORMED_SECRETS = """
      apiVersion: v1
      kind: Secret
      metadata: {name: not-base64}
      data:
        password: "%s"
      ---
      apiVersion: v1
      kind: Secret
      metadata: {name: wrong-type}
      stringData:
        password: ["%s"]
        other: {nested: "%s"}
      """.formatted(NOT_BASE64, IN_A_LIST, IN_A_MAP);

  @Test
  @DisplayName("a malformed Secret's values appear nowhere: not in the sync report, the server's status and events, nor any log")
  void malformedSecretValuesAreRedacted(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (CapturedLogs logs = CapturedLogs.attach(); GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      String commit = setup.manifests.write("secrets.yaml", MALFORMED_SECRETS).commitAndPush("Two malformed Secrets");
      setup.configure(config(ns, ""));
      setup.startAgent();

      SyncOutcome applied = setup.awaitSync(commit);

      assertThat(applied.phase()).isEqualTo(Phase.FAILED);
      assertThat(applied.objects()).hasSize(2).allSatisfy(o -> {
        assertThat(o.failed()).isTrue();
        assertThat(o.message()).as("the message still says what is wrong").isNotBlank();
      });
      assertNoValueIn(applied.toString(), "the sync outcome");

      // The server dry run refuses the same objects through another code path.
      setup.configure(config(ns, "      dry_run_strategy: server\n"));
      await().atMost(Duration.ofSeconds(30)).until(() -> setup.agent().gitops().outcome("team/app")
          .map(o -> o.objects().stream().anyMatch(r -> r.message().startsWith("server dry run refused it"))).orElse(false));
      SyncOutcome dryRun = setup.agent().gitops().outcome("team/app").orElseThrow();
      assertThat(dryRun.objects()).extracting(ObjectResult::message).allSatisfy(m -> assertThat(m).startsWith("server dry run refused it"));
      assertNoValueIn(dryRun.toString(), "the dry run's outcome");

      await().atMost(Duration.ofSeconds(10)).until(() -> setup.tether.api().get("/api/v1/agents/prod/gitops").toString()
          .contains("server dry run refused it"));
      assertNoValueIn(setup.tether.api().get("/api/v1/agents/prod/gitops").toString(), "the server's gitops status");
      JsonNode events = setup.tether.api().get("/api/v1/events?agent=prod");
      assertThat(events.get("events")).as("the syncs were announced").isNotEmpty();
      assertNoValueIn(events.toString(), "the server's events");
      assertThat(client.secrets().withName("not-base64").get()).isNull();
      assertThat(client.secrets().withName("wrong-type").get()).isNull();
      assertThat(logs.lines()).as("log lines were captured").isNotEmpty();
      assertNoValueIn(logs.all(), "the logs");
    }
  }

  private static void assertNoValueIn(String output, String where) {
    for (String value : List.of(NOT_BASE64, "leaked-value")) {
      assertThat(output).as("a Secret value in " + where).doesNotContain(value);
    }
  }

  @Test
  @DisplayName("a Secret with stringData is written once; a resync writes nothing (audit log); drift is still put back")
  void stringDataSecretIsNotRewrittenOnResync(@TempDir Path dir, KubeControlPlane plane, KubernetesClient client, TestNamespace ns) {
    try (GitopsSetup setup = new GitopsSetup(dir, plane, "prod", "team/app")) {
      // type is left out: the API server defaults it to Opaque, a field Git does not set.
      String commit = setup.manifests.write("secret.yaml", """
          apiVersion: v1
          kind: Secret
          metadata: {name: db}
          stringData:
            username: app
            password: correct-horse
          data:
            extra: ZXh0cmE=
          """).commitAndPush("A Secret with stringData");
      setup.configure(config(ns, ""));
      setup.startAgent();
      assertThat(setup.awaitSync(commit).phase()).isEqualTo(Phase.SYNCED);
      assertThat(client.secrets().withName("db").get().getData()).containsEntry("password", base64("correct-horse"))
          .containsEntry("extra", base64("extra"));

      AuditLog audit = new AuditLog(plane);
      long mark = audit.mark();
      SyncOutcome resync = setup.agent().gitops().resyncNow("team/app").join();
      SyncOutcome again = setup.agent().gitops().resyncNow("team/app").join();

      assertThat(resync.phase()).isEqualTo(Phase.SYNCED);
      assertThat(again.objects()).singleElement().satisfies(o -> assertThat(o.action().wireName()).isEqualTo("unchanged"));
      assertThat(again.toString()).as("an outcome may be printed").doesNotContain("correct-horse");
      assertThat(audit.writesSince(mark, "tether-agent/")).as("writes made by resyncs").isEmpty();
      assertThat(audit.requestsSince(mark, "tether-agent/")).as("the resyncs did read").isNotEmpty();

      client.secrets().withName("db").edit(s -> {
        s.getData().put("password", base64("changed-out-of-band"));
        return s;
      });
      await().atMost(Duration.ofSeconds(5)).until(() -> base64("correct-horse")
          .equals(client.secrets().withName("db").get().getData().get("password")));
      await().atMost(Duration.ofSeconds(5)).until(() -> setup.agent().gitops().outcome("team/app").orElseThrow()
          .objects().stream().anyMatch(o -> o.message().equals("drift corrected: field .data.password differs from Git")));
      Secret corrected = client.secrets().withName("db").get();
      assertThat(corrected.getData()).containsEntry("username", base64("app")).containsEntry("extra", base64("extra"));
      assertThat(corrected.getType()).isEqualTo("Opaque");
    }
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
