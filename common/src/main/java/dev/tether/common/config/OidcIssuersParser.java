package dev.tether.common.config;

import dev.tether.common.yaml.SafeYaml;
import dev.tether.common.yaml.YamlLimits;
import dev.tether.common.yaml.YamlProblem;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Reads the server's {@code --oidc-issuers-file}: the OIDC issuers (GitLab, GitHub Actions, …) whose
 * id tokens CI jobs may present at the Kubernetes API proxy. Every problem is reported with its line.
 *
 * <pre>
 * issuers:
 *   - issuer: https://gitlab.example.com
 *     audience: https://tether.example.com
 *   - issuer: https://token.actions.githubusercontent.com
 *     audience: tether
 *     jwks_file: /etc/tether/github-jwks.json   # optional: keys from a file instead of discovery
 * </pre>
 */
public final class OidcIssuersParser {
  private OidcIssuersParser() {}

  public static List<OidcIssuer> parse(String file, byte[] content) throws InvalidConfigException {
    Optional<Node> root;
    try {
      root = SafeYaml.readOne(content, YamlLimits.CONFIG);
    } catch (YamlProblem e) {
      throw new InvalidConfigException(List.of(new ConfigError(file, e.line(), e.column(), "", e.getMessage())));
    }
    ConfigNodeReader r = new ConfigNodeReader(file);
    List<OidcIssuer> issuers = new ArrayList<>();
    if (root.isPresent()) {
      Map<String, Node> top = r.mapping(root.get(), "", Set.of("issuers"));
      List<Node> items = r.sequence(top.get("issuers"), "issuers");
      for (int i = 0; i < items.size(); i++) {
        issuer(r, items.get(i), "issuers[" + i + "]").ifPresent(issuer -> {
          if (issuers.stream().anyMatch(known -> known.issuer().equals(issuer.issuer()))) {
            r.error(null, "issuers", "issuer " + issuer.issuer() + " is listed twice; keep one entry");
          } else {
            issuers.add(issuer);
          }
        });
      }
    }
    if (!r.errors().isEmpty()) {
      throw new InvalidConfigException(r.errors());
    }
    return List.copyOf(issuers);
  }

  private static Optional<OidcIssuer> issuer(ConfigNodeReader r, Node node, String path) {
    Map<String, Node> m = r.mapping(node, path, Set.of("issuer", "audience", "jwks_file"));
    if (!m.containsKey("issuer")) {
      r.error(node, path, "'issuer' is required: the iss claim of the tokens, like https://gitlab.example.com");
    }
    if (!m.containsKey("audience")) {
      // Without an audience check, any token of the issuer (minted for any other service) would get in.
      r.error(node, path, "'audience' is required: the aud claim your CI jobs ask for, like https://tether.example.com");
    }
    Optional<URI> issuer = m.containsKey("issuer") ? r.string(m.get("issuer"), path + ".issuer").flatMap(text -> {
      try {
        URI uri = new URI(text);
        boolean https = "https".equals(uri.getScheme());
        boolean http = "http".equals(uri.getScheme());
        if ((https || http) && uri.getHost() != null && uri.getQuery() == null && uri.getFragment() == null) {
          return Optional.of(uri);
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      r.error(m.get("issuer"), path + ".issuer", "'" + text + "' is not an issuer URL: give https://host[/path], without query "
          + "or fragment, exactly as the tokens' iss claim says it");
      return Optional.empty();
    }) : Optional.empty();
    Optional<String> audience = m.containsKey("audience") ? r.string(m.get("audience"), path + ".audience") : Optional.empty();
    if (audience.isPresent() && audience.get().isBlank()) {
      r.error(m.get("audience"), path + ".audience", "must not be empty");
      audience = Optional.empty();
    }
    Optional<Path> jwksFile = m.containsKey("jwks_file") ? r.string(m.get("jwks_file"), path + ".jwks_file").map(Path::of)
        : Optional.empty();
    if (issuer.isEmpty() || audience.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new OidcIssuer(issuer.get(), audience.get(), jwksFile));
  }
}
