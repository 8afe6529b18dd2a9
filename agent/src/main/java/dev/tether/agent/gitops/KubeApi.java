package dev.tether.agent.gitops;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.json.JsonMappers;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The few REST calls the sync engine makes, sent with the cluster client's authenticated HTTP
 * client. Server-side apply is sent as the exact JSON bytes of the manifest, so what Git says is
 * what the API server gets; calls are asynchronous so that many run at once without a thread each.
 */
public final class KubeApi {
  static final ObjectMapper JSON = JsonMappers.newMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final long TIMEOUT_SECONDS = 60;
  /** Objects per page of a list, as client-go's default: a page of Deployments is a few MB of JSON. */
  private static final int PAGE = 500;
  private static final String METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

  private final HttpClient http;
  private final String base;

  public KubeApi(KubernetesClient client) {
    this.http = client.getHttpClient();
    String master = client.getMasterUrl().toString();
    this.base = master.endsWith("/") ? master.substring(0, master.length() - 1) : master;
  }

  /** Server-side apply of one object; with {@code dryRun} nothing is stored. Completes with the object as stored. */
  public CompletableFuture<Map<String, Object>> apply(ResourceType type, String namespace, String name, Map<String, Object> object,
      String fieldManager, boolean force, boolean dryRun) {
    byte[] body = toJson(object);
    // Strict: a field the API does not know (a typo in Git) is an error naming it, as with kubectl.
    String query = "?fieldManager=" + encode(fieldManager) + "&fieldValidation=Strict" + (force ? "&force=true" : "")
        + (dryRun ? "&dryRun=All" : "");
    HttpRequest request = http.newHttpRequestBuilder().uri(base + type.path(namespace, name) + query)
        .method("PATCH", "application/apply-patch+yaml", new String(body, StandardCharsets.UTF_8))
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build();
    return send(request, SecretRedaction.of(object))
        .thenApply(r -> r.orElseThrow(() -> new KubeApiException(404, "NotFound", "not found")));
  }

  /** The object, or empty when it does not exist. */
  public CompletableFuture<Optional<Map<String, Object>>> get(ResourceType type, String namespace, String name) {
    return send(http.newHttpRequestBuilder().uri(base + type.path(namespace, name)).timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build());
  }

  /**
   * The object's metadata alone (a PartialObjectMetadata: apiVersion, kind, metadata), or empty when it
   * does not exist: enough to decide ownership and see it gone, without reading a multi-MB CRD again.
   */
  public CompletableFuture<Optional<Map<String, Object>>> getMetadata(ResourceType type, String namespace, String name) {
    return send(http.newHttpRequestBuilder().uri(base + type.path(namespace, name)).setHeader("Accept", METADATA_ONLY)
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build());
  }

  /** Whether the API server serves this type's objects yet (a CRD's resources may answer 404 for a moment after it is established). */
  public boolean serves(ResourceType type, String namespace) {
    return join(send(http.newHttpRequestBuilder().uri(base + type.path(namespace, null) + "?limit=1")
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build())).isPresent();
  }

  /**
   * Hands every object of a type in a namespace (null: all, or cluster-scoped) to {@code page}, a page
   * at a time. The next page is asked for as soon as this one's continue token is read from the first
   * bytes of its answer, before the page itself is parsed and handed over, so the API server serves the
   * next page while this one is parsed and compared, and no more than two pages are held at once;
   * {@code page} may therefore run on two threads at a time. Completes once every page was handed over.
   */
  public CompletableFuture<Void> forEachPage(ResourceType type, String namespace, Consumer<List<Map<String, Object>>> page) {
    return pageFrom(type, namespace, "", page);
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<Void> pageFrom(ResourceType type, String namespace, String cont, Consumer<List<Map<String, Object>>> consumer) {
    String uri = base + type.path(namespace, null) + "?limit=" + PAGE + (cont.isEmpty() ? "" : "&continue=" + encode(cont));
    HttpRequest request = http.newHttpRequestBuilder().uri(uri).timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build();
    return http.sendAsync(request, byte[].class).thenCompose(response -> {
      if (response.code() == 404) {
        return CompletableFuture.completedFuture(null);
      }
      if (!response.isSuccessful()) {
        throw failure(response, SecretRedaction.none());
      }
      Optional<String> next = ListContinue.of(response.body());
      CompletableFuture<Void> rest = next.map(token -> pageFrom(type, namespace, token, consumer))
          .orElse(CompletableFuture.completedFuture(null));
      Map<String, Object> page = parseAnswer(response);
      List<Map<String, Object>> items = new ArrayList<>();
      for (Object item : (List<Object>) page.getOrDefault("items", List.of())) {
        Map<String, Object> object = (Map<String, Object>) item;
        // List items leave out their type; put it back so they look like what GET returns.
        object.putIfAbsent("apiVersion", type.apiVersion());
        object.putIfAbsent("kind", type.kind());
        items.add(object);
      }
      consumer.accept(items);
      return rest;
    });
  }

  /** Creates an object (POST). */
  public Map<String, Object> create(ResourceType type, String namespace, Map<String, Object> object, String fieldManager) {
    byte[] body = toJson(object);
    return join(send(http.newHttpRequestBuilder().uri(base + type.path(namespace, null) + "?fieldManager=" + encode(fieldManager))
        .method("POST", "application/json", new String(body, StandardCharsets.UTF_8))
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build(), SecretRedaction.of(object))).orElseThrow();
  }

  /** Replaces an object (PUT); fails with 409 when its resourceVersion is no longer current. */
  public Map<String, Object> replace(ResourceType type, String namespace, String name, Map<String, Object> object, String fieldManager) {
    byte[] body = toJson(object);
    return join(send(http.newHttpRequestBuilder().uri(base + type.path(namespace, name) + "?fieldManager=" + encode(fieldManager))
        .method("PUT", "application/json", new String(body, StandardCharsets.UTF_8))
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build(), SecretRedaction.of(object))).orElseThrow(() -> new KubeApiException(404, "NotFound", name + " is gone"));
  }

  /**
   * Whether the API server is there and ready: it answers {@code /readyz} with success, or refuses us
   * the answer (then it is up, and what failed was something else). False while it is unreachable or
   * starting; never fails.
   */
  public CompletableFuture<Boolean> ready() {
    HttpRequest request = http.newHttpRequestBuilder().uri(base + "/readyz").timeout(5, TimeUnit.SECONDS).build();
    return http.sendAsync(request, byte[].class)
        .handle((response, failure) -> failure == null && (response.isSuccessful() || response.code() == 401 || response.code() == 403));
  }

  /** Deletes an object; completes true if it was there. */
  public CompletableFuture<Boolean> delete(ResourceType type, String namespace, String name, String propagationPolicy) {
    // Bodies are strings, not streams: the client retries some failures and must be able to send them again.
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"propagationPolicy\":\"" + propagationPolicy + "\"}";
    HttpRequest request = http.newHttpRequestBuilder().uri(base + type.path(namespace, name))
        .method("DELETE", "application/json", body)
        .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).build();
    return send(request).thenApply(Optional::isPresent);
  }

  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  private CompletableFuture<Optional<Map<String, Object>>> send(HttpRequest request) {
    return send(request, SecretRedaction.none());
  }

  /** With a request that carries a Secret, {@code secrets} takes its values out of the API server's answer. */
  private CompletableFuture<Optional<Map<String, Object>>> send(HttpRequest request, SecretRedaction secrets) {
    return http.sendAsync(request, byte[].class).thenApply(response -> {
      if (response.code() == 404) {
        return Optional.empty();
      }
      if (!response.isSuccessful()) {
        throw failure(response, secrets);
      }
      return Optional.of(parseAnswer(response));
    });
  }

  private static KubeApiException failure(HttpResponse<byte[]> response, SecretRedaction secrets) {
    Map<String, Object> status;
    try {
      status = parse(response.body());
    } catch (RuntimeException notJson) {
      return new KubeApiException(response.code(), "", secrets.redact("HTTP " + response.code() + ": "
          + new String(response.body() == null ? new byte[0] : response.body(), StandardCharsets.UTF_8)));
    }
    return new KubeApiException(response.code(), String.valueOf(status.getOrDefault("reason", "")),
        secrets.redact(String.valueOf(status.getOrDefault("message", "HTTP " + response.code()))));
  }

  /**
   * A successful answer's object. One that is not JSON is described by its status, type, size and the
   * parser's complaint (never its content, which may hold a Secret's values), so a broken answer can be told
   * from a truncated one.
   */
  private static Map<String, Object> parseAnswer(HttpResponse<byte[]> response) {
    byte[] body = response.body() == null ? new byte[0] : response.body();
    try {
      return JSON.readValue(body, MAP);
    } catch (IOException e) {
      String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException json ? json.getOriginalMessage() : e.toString();
      throw new UncheckedIOException("the API server sent something that is not JSON (HTTP " + response.code() + ", "
          + String.join(",", response.headers("Content-Type")) + ", " + body.length + " bytes, Content-Length "
          + String.join(",", response.headers("Content-Length")) + "): " + why.lines().findFirst().orElse(""), e);
    }
  }

  static Map<String, Object> parse(byte[] json) {
    try {
      return JSON.readValue(json, MAP);
    } catch (IOException e) {
      throw new UncheckedIOException("the API server sent something that is not JSON", e);
    }
  }

  static byte[] toJson(Object object) {
    try {
      return JSON.writeValueAsBytes(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String encode(String value) {
    return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
