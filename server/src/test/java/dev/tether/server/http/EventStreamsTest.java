package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.server.events.ChangeFeed;
import io.javalin.Javalin;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Event streams on a real HTTP server: the cap answers 503, a change reaches the streams it concerns, a stop ends them. */
class EventStreamsTest {

  /** What one stream received, read on a thread of its own until the server ends it. */
  private static final class Received {
    final StringBuffer text = new StringBuffer();
    final CompletableFuture<Void> ended;

    Received(InputStream in) {
      ended = CompletableFuture.runAsync(() -> {
        byte[] buffer = new byte[1024];
        try (in) {
          for (int n; (n = in.read(buffer)) >= 0; ) {
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
          }
        } catch (java.io.IOException ended) {
          // the server closed it
        }
      });
    }
  }

  @Test
  void capChangesAndStop() throws Exception {
    ChangeFeed feed = new ChangeFeed(Optional.empty());
    EventStreams streams = new EventStreams(feed, 2);
    Javalin http = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.startup.startupWatcherEnabled = false;
      cfg.routes.get("/stream", ctx -> streams.serve(ctx, Optional.ofNullable(ctx.queryParam("agent"))));
      cfg.routes.exception(ApiException.class, (e, ctx) -> ctx.status(e.status()).result(e.getMessage()));
    }).start("127.0.0.1", 0);
    try {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + http.port() + "/stream";
      List<Received> open = new ArrayList<>();
      for (String query : new String[] {"?agent=prod", ""}) {
        HttpResponse<InputStream> answer = client.send(HttpRequest.newBuilder(URI.create(base + query))
            .header("Accept", "text/event-stream").build(),
            HttpResponse.BodyHandlers.ofInputStream());
        assertThat(answer.statusCode()).isEqualTo(200);
        open.add(new Received(answer.body()));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> streams.openCount() == 2
          && open.stream().allMatch(r -> r.text.toString().contains("event: ready")));

      HttpResponse<String> third = client.send(HttpRequest.newBuilder(URI.create(base)).header("Accept", "text/event-stream").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.body()).contains("already serves 2 live event streams");

      feed.changed("staging");
      feed.changed("prod");
      await().atMost(Duration.ofSeconds(10)).until(() -> open.get(1).text.toString().contains("{\"agent\":\"staging\"}")
          && open.get(1).text.toString().contains("{\"agent\":\"prod\"}") && open.get(0).text.toString().contains("{\"agent\":\"prod\"}"));
      assertThat(open.get(0).text.toString()).as("the stream of prod only").doesNotContain("staging");

      assertThat(client.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("not an event stream client").isEqualTo(406);

      streams.close();
      for (Received r : open) {
        r.ended.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.text.toString()).contains("event: closing");
      }
      HttpResponse<String> afterStop = client.send(HttpRequest.newBuilder(URI.create(base)).header("Accept", "text/event-stream")
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(afterStop.statusCode()).isEqualTo(503);
    } finally {
      http.stop();
      feed.close();
    }
  }
}
