package dev.tether.server.http;

import dev.tether.common.config.ChartRepositoryUrl;
import dev.tether.server.charts.ChartCredentials;
import dev.tether.server.store.ChartRepository;
import dev.tether.server.store.ChartRepositoryStore;
import io.javalin.http.Context;
import java.time.Clock;
import dev.tether.server.http.ApiModels.ChartRepositoryRequest;
import dev.tether.server.http.ApiModels.ChartRepositoryView;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * {@code /api/v1/chart-repositories}: the credentials the server uses for chart repositories and
 * OCI registries. Answers say which kind of credentials a repository has and never the secret.
 */
final class ChartRepositoryRoutes {
  private ChartRepositoryRoutes() {}

  /** @param stores the store, asked for at each request (the API is described before a store exists) */
  static void register(ApiRoutes api, Supplier<ChartRepositoryStore> stores, Clock clock,
      BiFunction<Context, Class<ChartRepositoryRequest>, ChartRepositoryRequest> body) {
    api.get("/api/v1/chart-repositories", ctx -> ctx.json(stores.get().list().stream().map(ChartRepositoryRoutes::view).toList()));
    api.post("/api/v1/chart-repositories", ctx -> {
      ChartRepositoryStore store = stores.get();
      ChartRepositoryRequest request = body.apply(ctx, ChartRepositoryRequest.class);
      String url = url(request.url());
      ChartRepository repository = new ChartRepository(url, credentials(request), clock.instant());
      boolean existed = store.find(url).isPresent();
      store.put(repository);
      ctx.status(existed ? 200 : 201).json(view(store.find(url).orElse(repository)));
    });
    api.delete("/api/v1/chart-repositories", ctx -> {
      ChartRepositoryStore store = stores.get();
      String url = url(ctx.queryParam("url"));
      ChartRepository repository = store.find(url).orElseThrow(() -> new ApiException(404, "the server holds no credentials for "
          + "chart repository " + url + "; list them with tether admin chart-repository list"));
      store.remove(url);
      ctx.json(view(repository));
    });
  }

  private static String url(String url) {
    if (url == null || url.isBlank()) {
      throw new ApiException(400, "'url' is required: the chart repository, like https://charts.example.com/stable or "
          + "oci://registry.example.com/charts");
    }
    String problem = ChartRepositoryUrl.problem(url.strip());
    if (problem != null) {
      throw new ApiException(400, "'" + (url.contains("@") ? "<redacted>" : url.strip()) + "' " + problem);
    }
    return ChartRepositoryUrl.normalized(url);
  }

  private static ChartCredentials credentials(ChartRepositoryRequest r) {
    boolean password = r.password() != null;
    boolean token = r.token() != null;
    if (password == token) {
      throw new ApiException(400, "give either 'username' and 'password', or 'token'");
    }
    if (password) {
      if (r.username() == null || r.username().isBlank()) {
        throw new ApiException(400, "a password needs a username");
      }
      if (r.password().isEmpty()) {
        throw new ApiException(400, "the password is empty");
      }
      return new ChartCredentials.Basic(r.username(), r.password());
    }
    if (r.username() != null) {
      throw new ApiException(400, "a token goes without a username (it is sent as Authorization: Bearer)");
    }
    if (r.token().isBlank()) {
      throw new ApiException(400, "the token is empty");
    }
    return new ChartCredentials.Token(r.token().strip());
  }

  private static ChartRepositoryView view(ChartRepository r) {
    return new ChartRepositoryView(r.url(), r.credentials().describe(), r.createdAt());
  }
}
