package dev.tether.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** What a Git host does on push: the GitLab-style push webhook of a project, so that the server fetches it at once. */
final class PushWebhook {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private PushWebhook() {}

  static void announce(String serverHttpUrl, String projectId, String secret) throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(serverHttpUrl + "/api/v1/projects/" + projectId + "/hooks/push"))
        .header("X-Gitlab-Event", "Push Hook").header("X-Gitlab-Token", secret)
        .POST(HttpRequest.BodyPublishers.ofString("{\"ref\":\"refs/heads/main\"}")).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 202) {
      throw new IllegalStateException("the push webhook of project " + projectId + " answered " + response.statusCode() + ": "
          + response.body());
    }
  }
}
