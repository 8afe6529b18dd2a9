package dev.tether.server.http;

import dev.tether.common.TetherVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.function.Supplier;

/** {@code /api/v1/openapi.json}, {@code /version} and {@code /server}: what this server is and where it is reached. */
final class ServerRoutes {
  private final Supplier<HttpApi.Endpoints> endpoints;

  ServerRoutes(Supplier<HttpApi.Endpoints> endpoints) {
    this.endpoints = endpoints;
  }

  void register(ApiRoutes api) {
    api.get("/api/v1/openapi.json", ctx -> ctx.contentType("application/json").result(OpenApiDocument.json()));
    api.get("/api/v1/version", ctx -> ctx.json(Map.of("version", TetherVersion.get())));
    api.get("/api/v1/server", ctx -> ctx.json(serverView()));
  }

  private ApiModels.ServerView serverView() {
    HttpApi.Endpoints e = endpoints.get();
    String ca = e.devCaFile().map(file -> {
      try {
        return Files.readString(file, StandardCharsets.US_ASCII);
      } catch (IOException failure) {
        throw new UncheckedIOException("cannot read the development CA " + file, failure);
      }
    }).orElse(null);
    return new ApiModels.ServerView(TetherVersion.get(), e.agentAddress(), e.kubeProxyUrl(), ca);
  }
}
