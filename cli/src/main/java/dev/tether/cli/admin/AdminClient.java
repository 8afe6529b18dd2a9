package dev.tether.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/** A client for the server's HTTP API, for the admin commands and the demo. Failures become one-line messages. */
public final class AdminClient {
  static final ObjectMapper JSON = JsonMappers.newMapper();

  private final String baseUrl;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public AdminClient(String baseUrl, String token) {
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.token = token;
  }

  public JsonNode get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public JsonNode post(String path, Object body) {
    try {
      return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public JsonNode delete(String path) {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  private URI uri(String path) {
    return URI.create(baseUrl + path);
  }

  private JsonNode send(HttpRequest.Builder request) {
    HttpRequest built = request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(built, HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new AdminException("cannot reach the Tether server at " + baseUrl + " (is it running? point --server-url at its HTTP address)");
    } catch (HttpTimeoutException e) {
      throw new AdminException("the Tether server at " + baseUrl + " did not answer in time");
    } catch (IOException e) {
      throw new AdminException("cannot talk to the Tether server at " + baseUrl + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminException("interrupted");
    }
    JsonNode body;
    try {
      body = response.body().length == 0 ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new AdminException(baseUrl + " answered HTTP " + response.statusCode() + " with something that is not JSON: "
          + "is --server-url the Tether server's HTTP address?");
    }
    if (response.statusCode() >= 300) {
      String message = body.hasNonNull("error") ? body.get("error").asText() : "HTTP " + response.statusCode();
      throw new AdminException(message);
    }
    return body;
  }

  /** The server refused or failed a request; the message is the server's own. */
  public static final class AdminException extends RuntimeException {
    AdminException(String message) {
      super(message);
    }
  }
}
