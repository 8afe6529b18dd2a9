package dev.tether.server.charts;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** How the server authenticates to a chart repository or OCI registry; never printed with its secret. */
public sealed interface ChartCredentials {

  /** A short description without the secret. */
  String describe();

  /** The fields to store (sealed by the store before they reach the database). */
  Map<String, String> toMap();

  static ChartCredentials fromMap(Map<String, String> m) {
    return switch (m.getOrDefault("kind", "none")) {
      case "basic" -> new Basic(m.get("username"), m.get("password"));
      case "token" -> new Token(m.get("token"));
      default -> new None();
    };
  }

  /** A public repository. */
  record None() implements ChartCredentials {
    @Override
    public String describe() {
      return "none";
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "none");
    }
  }

  /** HTTP basic authentication; for an OCI registry, also what its token service is asked with. */
  record Basic(String username, String password) implements ChartCredentials {
    @Override
    public String describe() {
      return "basic auth as " + username;
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "basic", "username", username, "password", password);
    }

    String header() {
      return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Basic[" + username + "]";
    }
  }

  /** A bearer token, sent as {@code Authorization: Bearer}. */
  record Token(String token) implements ChartCredentials {
    @Override
    public String describe() {
      return "token";
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "token", "token", token);
    }

    @Override
    public String toString() {
      return "Token[]";
    }
  }
}
