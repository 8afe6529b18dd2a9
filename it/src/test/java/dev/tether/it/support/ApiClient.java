package dev.tether.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** The server's HTTP API as a test calls it: real HTTP, JSON in and out. */
public final class ApiClient {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final String baseUrl;
  private final String adminToken;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public ApiClient(String baseUrl, String adminToken) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  public record Response(int status, JsonNode body) {}

  public JsonNode get(String path) {
    return ok(send("GET", path, null, Map.of("Authorization", "Bearer " + adminToken)));
  }

  public JsonNode post(String path, Object body) {
    return ok(send("POST", path, json(body), Map.of("Authorization", "Bearer " + adminToken, "Content-Type", "application/json")));
  }

  public JsonNode delete(String path) {
    return ok(send("DELETE", path, null, Map.of("Authorization", "Bearer " + adminToken)));
  }

  /** Any request, with exactly the headers given (no admin token unless given). */
  public Response send(String method, String path, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      JsonNode parsed = response.body().length == 0 ? JSON.nullNode() : JSON.readTree(response.body());
      return new Response(response.statusCode(), parsed);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode ok(Response response) {
    if (response.status() >= 300) {
      throw new AssertionError("HTTP " + response.status() + ": " + response.body());
    }
    return response.body();
  }

  public static byte[] json(Object body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
