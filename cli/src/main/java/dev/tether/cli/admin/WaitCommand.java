package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.cli.DurationConverter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Waits, instead of a script's guess with {@code sleep}, until the server answers, and optionally until an
 * agent is connected and its manifest projects are synced; fails at the deadline saying what is missing.
 */
@Command(name = "wait", mixinStandardHelpOptions = true,
    description = {
        "Waits until the server answers, and an agent is connected or synced: for scripts, instead of sleep.",
        "The server must answer on --server-url (GET /healthz) and take the admin token; with --agent, that agent must be "
            + "connected and have read its configuration; with --synced, the agent's last sync of that manifest project must "
            + "have succeeded. Fails after --timeout, naming what it waited for and what it saw last."
    },
    footer = {"", "Examples:", "  tether server --dev-tls > server.log 2>&1 &", "  tether admin wait",
        "  tether admin wait --agent prod --timeout 2m", "  tether admin wait --agent prod --synced team/app"})
final class WaitCommand implements Callable<Integer> {
  private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

  @Mixin AdminConnection connection;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
      description = "How long to wait in all, like 30s or 5m (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--agent", paramLabel = "NAME", description = "Also wait until this agent is connected and its configuration read.")
  String agent;

  @Option(names = "--synced", paramLabel = "PROJECT",
      description = "With --agent: also wait until the agent's last sync of this manifest project succeeded (repeatable).")
  List<String> synced = new ArrayList<>();

  @Override
  public Integer call() throws InterruptedException {
    if (!synced.isEmpty() && agent == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--synced needs --agent: the agent whose syncs to wait for");
    }
    Instant deadline = Instant.now().plus(timeout);
    PrintWriter out = spec.commandLine().getOut();
    AdminClient client = untilServerAnswers(deadline);
    out.printf("Server at %s is up.%n", connection.serverUrl);
    if (agent == null) {
      return 0;
    }
    untilAgentConnected(client, deadline);
    out.printf("Agent '%s' is connected and has read its configuration.%n", agent);
    for (String project : synced) {
      untilSynced(client, project, deadline);
      out.printf("Agent '%s' synced manifest project '%s'.%n", agent, project);
    }
    return 0;
  }

  private AdminClient untilServerAnswers(Instant deadline) throws InterruptedException {
    String healthz = connection.serverUrl.replaceAll("/+$", "") + "/healthz";
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String lastProblem = "no answer yet";
    while (true) {
      try {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(healthz)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 200) {
          // The server writes its admin token before it listens, so a missing file here is a wrong path, not a race.
          AdminClient client = connection.client();
          client.get("/api/v1/version");
          return client;
        }
        lastProblem = "HTTP " + answer.statusCode() + " (is --server-url the Tether server's HTTP address?)";
      } catch (IOException e) {
        lastProblem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof java.net.ConnectException) {
          lastProblem = "connection refused";
        }
      }
      String seen = lastProblem;
      pauseBefore(deadline, () -> "the Tether server did not answer at " + healthz + " within " + timeoutText() + " (last: " + seen
          + "). Is it running? Its log says why not; point --server-url at its HTTP address");
    }
  }

  private void untilAgentConnected(AdminClient client, Instant deadline) throws InterruptedException {
    while (true) {
      JsonNode a = client.get("/api/v1/agents/" + agent);
      String state = a.at("/config/state").asText();
      if (state.equals("invalid")) {
        throw new AdminClient.AdminException("agent '" + agent + "' has an invalid configuration: `tether admin agent show " + agent
            + "` lists the errors");
      }
      boolean connected = a.path("connected").asBoolean();
      if (connected && state.equals("valid")) {
        return;
      }
      String missing = !connected ? "did not connect" : "has not read its configuration (state " + state + ")";
      pauseBefore(deadline, () -> "agent '" + agent + "' " + missing + " within " + timeoutText() + ": the agent's log says why"
          + (connected ? "" : " (its --server must be the server's agent address, with --ca-file for a development CA)")
          + "; see also `tether admin agent show " + agent + "`");
    }
  }

  private void untilSynced(AdminClient client, String project, Instant deadline) throws InterruptedException {
    while (true) {
      Optional<JsonNode> sync = lastSync(client.get("/api/v1/agents/" + agent), project);
      if (sync.isPresent() && sync.get().path("phase").asText().equals("synced")) {
        return;
      }
      String seen = sync.map(s -> "its last sync is " + s.path("phase").asText()
              + (s.hasNonNull("message") ? ": " + s.get("message").asText() : ""))
          .orElse("no sync of it reported yet; is it in the agent's config.yaml? The server reads that file every --poll-interval "
              + "or on a push webhook");
      pauseBefore(deadline, () -> "agent '" + agent + "' did not sync manifest project '" + project + "' within " + timeoutText()
          + ": " + seen + ". `tether admin agent show " + agent + "` says more");
    }
  }

  private static Optional<JsonNode> lastSync(JsonNode agentView, String project) {
    for (JsonNode s : agentView.path("gitops")) {
      if (s.path("project").asText().equals(project)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  private void pauseBefore(Instant deadline, java.util.function.Supplier<String> failure) throws InterruptedException {
    if (Instant.now().plus(POLL_INTERVAL).isAfter(deadline)) {
      throw new AdminClient.AdminException(failure.get());
    }
    Thread.sleep(POLL_INTERVAL.toMillis());
  }

  private String timeoutText() {
    return timeout.toSeconds() % 60 == 0 && timeout.toSeconds() >= 60 ? timeout.toMinutes() + "m" : timeout.toSeconds() + "s";
  }
}
