package dev.tether.server.http;

import dev.tether.common.config.GoDuration;
import dev.tether.server.http.ApiModels.TokenView;
import dev.tether.server.registry.Registry;
import dev.tether.server.store.AccessToken;
import dev.tether.server.store.AgentToken;
import dev.tether.server.store.Store;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * {@code /api/v1/tokens} (agent tokens) and {@code /api/v1/access-tokens} (CI jobs' and people's
 * tokens for the Kubernetes API proxy): listed, issued and revoked; a secret is shown once, when issued.
 */
final class TokenRoutes {
  private final Store store;
  private final Registry registry;
  private final JsonBodies bodies;

  TokenRoutes(Store store, Registry registry, JsonBodies bodies) {
    this.store = store;
    this.registry = registry;
    this.bodies = bodies;
  }

  void registerAccessTokens(ApiRoutes api) {
    api.get("/api/v1/access-tokens", ctx -> ctx.json(store.accessTokens().list().stream().map(TokenRoutes::accessTokenView).toList()));
    api.post("/api/v1/access-tokens", this::createAccessToken);
    api.delete("/api/v1/access-tokens/{id}", ctx -> ctx.json(accessTokenView(registry.revokeAccessToken(ctx.pathParam("id")))));
  }

  void registerAgentTokens(ApiRoutes api) {
    api.get("/api/v1/tokens", ctx -> ctx.json(store.tokens().list(Optional.empty()).stream().map(TokenRoutes::tokenView).toList()));
    api.delete("/api/v1/tokens/{id}", ctx -> ctx.json(tokenView(registry.revokeToken(ctx.pathParam("id")))));
  }

  private void createAccessToken(Context ctx) {
    ApiModels.AccessTokenRequest r = bodies.read(ctx, ApiModels.AccessTokenRequest.class, null);
    Optional<Duration> expiresIn = Optional.ofNullable(r.expiresIn()).map(text -> GoDuration.parse(text)
        .orElseThrow(() -> new ApiException(400, "expires_in '" + text + "' is not a duration; write it like 24h or 720h")));
    Registry.IssuedAccessToken issued;
    if ((r.project() == null) == (r.user() == null)) {
      throw new ApiException(400, "give either 'project' (a CI token for that project) or 'user' (a token for a person)");
    } else if (r.project() != null) {
      if (r.projects() != null || r.groups() != null) {
        throw new ApiException(400, "'projects' and 'groups' belong to user tokens");
      }
      issued = registry.createCiAccessToken(r.project(), Optional.ofNullable(r.environment()), expiresIn, r.description());
    } else {
      if (r.environment() != null) {
        throw new ApiException(400, "'environment' belongs to CI tokens: a person's token is let in by user_access, which has none");
      }
      List<String> projects = r.projects() == null ? List.of() : r.projects();
      if (projects.isEmpty()) {
        throw new ApiException(400, "a user token needs 'projects': the projects whose members the person is (user_access lists them)");
      }
      issued = registry.createUserAccessToken(r.user(), projects, r.groups() == null ? List.of() : r.groups(), expiresIn,
          r.description());
    }
    ctx.status(201).json(new ApiModels.CreatedAccessToken(accessTokenView(issued.token()), issued.secret().reveal()));
  }

  private static ApiModels.AccessTokenView accessTokenView(AccessToken t) {
    String state = t.revokedAt().isPresent() ? "revoked"
        : t.expiresAt().filter(e -> !Instant.now().isBefore(e)).isPresent() ? "expired" : "active";
    return new ApiModels.AccessTokenView(t.id(), t.kind(), t.projectId().orElse(null), t.environment().orElse(null),
        t.userName().orElse(null), t.projects(),
        t.groups(), t.description(), state, t.createdAt(), t.expiresAt().orElse(null), t.lastUsedAt().orElse(null),
        t.revokedAt().orElse(null));
  }

  static TokenView tokenView(AgentToken t) {
    return new TokenView(t.id(), t.agentName(), t.description(), t.active() ? "active" : "revoked", t.createdAt(),
        t.lastUsedAt().orElse(null), t.revokedAt().orElse(null));
  }
}
