package dev.tether.server.git;

import java.util.Map;

/** How the server authenticates to a project's Git host. */
public sealed interface GitCredentials {

  /** A short description that never includes the secret. */
  String describe();

  /** The fields to store (sealed by the store before they reach the database). */
  Map<String, String> toMap();

  static GitCredentials fromMap(Map<String, String> m) {
    return switch (m.getOrDefault("kind", "none")) {
      case "basic" -> new Basic(m.get("username"), m.get("password"));
      case "token" -> new Token(m.get("username"), m.get("token"));
      case "ssh" -> new SshKey(m.get("private_key"), m.get("known_hosts"));
      default -> new None();
    };
  }

  /** A public repository, a local path, or {@code git://}. */
  record None() implements GitCredentials {
    @Override
    public String describe() {
      return "none";
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "none");
    }
  }

  /** HTTP(S) basic authentication. */
  record Basic(String username, String password) implements GitCredentials {
    @Override
    public String describe() {
      return "basic auth as " + username;
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "basic", "username", username, "password", password);
    }

    @Override
    public String toString() {
      return "Basic[" + username + "]";
    }
  }

  /**
   * An HTTP(S) access token (GitLab, GitHub, Gitea and Forgejo all take a token as the password);
   * the username is what the host expects, often anything non-empty.
   */
  record Token(String username, String token) implements GitCredentials {
    @Override
    public String describe() {
      return "token as " + username;
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "token", "username", username, "token", token);
    }

    @Override
    public String toString() {
      return "Token[" + username + "]";
    }
  }

  /** SSH with a private key (OpenSSH or PEM format) and the host keys to trust (known_hosts lines). */
  record SshKey(String privateKey, String knownHosts) implements GitCredentials {
    @Override
    public String describe() {
      return "ssh key";
    }

    @Override
    public Map<String, String> toMap() {
      return Map.of("kind", "ssh", "private_key", privateKey, "known_hosts", knownHosts);
    }

    @Override
    public String toString() {
      return "SshKey[]";
    }
  }
}
