package dev.tether.server.http;

import dev.tether.common.TetherVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The OpenAPI 3.1 description of HTTP API v1, written by hand next to the routes and checked against them by a test. */
final class OpenApiDocument {
  private static final String RESOURCE = "openapi.json";
  private static volatile String json;

  private OpenApiDocument() {}

  static String json() {
    String text = json;
    if (text == null) {
      try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("the OpenAPI document " + RESOURCE + " is missing from the server jar");
        }
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@TETHER_VERSION@", TetherVersion.get());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      json = text;
    }
    return text;
  }
}
