package dev.tether.server.charts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.config.ChartVersionRange;
import dev.tether.common.json.JsonMappers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Charts in an OCI registry ({@code oci://HOST/PATH}), through the distribution API as {@code helm
 * pull} uses it: tags for a range, the manifest of a tag, and the chart layer's blob, checked
 * against its digest. Authenticates with basic auth or, when the registry answers with a Bearer
 * challenge, with a token from the realm it names. HTTPS, except plain HTTP to a loopback address.
 */
final class OciChartRegistry {
  static final String MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json";
  static final String CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
  private static final ObjectMapper JSON = JsonMappers.newMapper();
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final long MAX_JSON_BYTES = 4L * 1024 * 1024;
  private static final int MAX_TAG_PAGES = 20;

  /** Docker's token specification: a token without {@code expires_in} is good for 60 seconds. */
  private static final long DEFAULT_TOKEN_SECONDS = 60;
  private static final int MAX_CACHED_TOKENS = 1000;

  private final ChartHttp http;
  /**
   * Tokens from registries' token services, by registry, repository and credentials, used until shortly
   * before they expire: a resolve, its download and the next polls ask the token service once, as Helm's
   * registry client does within a login, instead of twice per render.
   */
  private final Map<TokenKey, CachedToken> tokens = new ConcurrentHashMap<>();

  OciChartRegistry(ChartHttp http) {
    this.http = http;
  }

  private record TokenKey(String base, String name, ChartCredentials credentials) {}

  private record CachedToken(String authorization, long expiresAtNanos) {
    boolean fresh() {
      return System.nanoTime() - expiresAtNanos < 0;
    }
  }

  /** Where requests for a repository go: {@code https://host:port}, or http for a loopback host. */
  static String base(URI oci) {
    String host = oci.getHost();
    boolean loopback;
    try {
      // Only an address literal is looked at: a name is not resolved here, so DNS cannot turn HTTPS off.
      loopback = host.equals("localhost") || host.matches("[0-9.:\\[\\]a-fA-F]+")
          && InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (IOException e) {
      loopback = false;
    }
    return (loopback ? "http" : "https") + "://" + oci.getRawAuthority();
  }

  ResolvedChart resolve(String repository, String chart, ChartVersionRange range, ChartCredentials credentials)
      throws ChartFetchException {
    URI oci = URI.create(repository);
    String name = name(oci, chart);
    Session session = new Session(base(oci), name, credentials, repository + "/" + chart);
    String tag;
    if (range.isExact()) {
      // Helm pushes a version with '+' as a tag with '_' (tags may not hold '+').
      tag = range.toString().replace('+', '_');
    } else {
      List<String> versions = tags(session, name).stream().map(t -> t.replace('_', '+')).toList();
      tag = range.newest(versions).orElseThrow(() -> new ChartFetchException("no version of chart '" + chart + "' in " + repository
          + " matches '" + range + "'; its tags are " + (versions.isEmpty() ? "none" : String.join(", ",
          versions.stream().limit(10).toList()) + (versions.size() > 10 ? ", ..." : "")), false)).replace('+', '_');
    }
    ChartHttp.Response manifest = session.get("/v2/" + name + "/manifests/" + tag, MANIFEST_TYPES, MAX_JSON_BYTES,
        "the manifest of chart " + chart + " " + tag.replace('_', '+') + " in " + repository);
    if (manifest.status() == 404) {
      throw new ChartFetchException("chart " + chart + " has no version " + tag.replace('_', '+') + " in " + repository
          + " (the registry has no such tag)", false);
    }
    check(manifest, "the manifest of chart " + chart + " " + tag + " in " + repository);
    JsonNode root = json(manifest, "the manifest of chart " + chart + " in " + repository);
    String layer = null;
    for (JsonNode l : root.path("layers")) {
      if (CHART_LAYER.equals(l.path("mediaType").asText())) {
        layer = l.path("digest").asText(null);
      }
    }
    if (layer == null || !layer.matches("sha256:[0-9a-f]{64}")) {
      throw new ChartFetchException(repository + "/" + chart + ":" + tag + " is not a Helm chart: its manifest has no "
          + CHART_LAYER + " layer with a sha256 digest (push charts with helm push)", false);
    }
    return new ResolvedChart(repository, chart, tag.replace('_', '+'), layer, session.base + "/v2/" + name + "/blobs/" + layer);
  }

  byte[] download(ResolvedChart chart, ChartCredentials credentials, long maxBytes) throws ChartFetchException {
    URI oci = URI.create(chart.repository());
    Session session = new Session(base(oci), name(oci, chart.name()), credentials, chart.repository() + "/" + chart.name());
    String path = URI.create(chart.archiveUrl()).getRawPath();
    ChartHttp.Response blob = session.get(path, "*/*", maxBytes, "the chart layer of " + chart.describe());
    check(blob, "the chart layer of " + chart.describe());
    return blob.body();
  }

  private List<String> tags(Session session, String name) throws ChartFetchException {
    List<String> tags = new ArrayList<>();
    String next = "/v2/" + name + "/tags/list?n=1000";
    for (int page = 0; page < MAX_TAG_PAGES && next != null; page++) {
      ChartHttp.Response response = session.get(next, "application/json", MAX_JSON_BYTES, "the tags of " + session.what);
      if (response.status() == 404) {
        throw new ChartFetchException(session.what + " is not in the registry (no such repository)", false);
      }
      check(response, "the tags of " + session.what);
      json(response, "the tags of " + session.what).path("tags").forEach(t -> tags.add(t.asText()));
      // RFC 5988 Link: </v2/name/tags/list?n=1000&last=x>; rel="next"
      next = response.header("Link").filter(l -> l.contains("rel=\"next\"")).map(l -> l.substring(l.indexOf('<') + 1, l.indexOf('>')))
          .orElse(null);
    }
    return tags;
  }

  private static String name(URI oci, String chart) {
    String path = oci.getRawPath() == null ? "" : oci.getRawPath().replaceAll("^/+|/+$", "");
    return (path.isEmpty() ? "" : path + "/") + chart;
  }

  private static void check(ChartHttp.Response response, String what) throws ChartFetchException {
    if (response.status() != 200) {
      throw new ChartFetchException(what + ": " + ChartHttp.explain(response.status()), response.status() >= 500 || response.status() == 429);
    }
  }

  private static JsonNode json(ChartHttp.Response response, String what) throws ChartFetchException {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ChartFetchException(what + " is not JSON", false);
    }
  }

  /** Requests to one registry for one repository, with the authorization its challenge asked for once it asked. */
  private final class Session {
    private final String base;
    private final TokenKey key;
    private final ChartCredentials credentials;
    private final String what;
    private String authorization;

    Session(String base, String name, ChartCredentials credentials, String what) {
      this.base = base;
      this.key = new TokenKey(base, name, credentials);
      this.credentials = credentials;
      this.what = what;
      CachedToken cached = tokens.get(key);
      if (credentials instanceof ChartCredentials.Token token) {
        this.authorization = "Bearer " + token.token();
      } else {
        this.authorization = cached != null && cached.fresh() ? cached.authorization() : null;
      }
    }

    ChartHttp.Response get(String path, String accept, long maxBytes, String what) throws ChartFetchException {
      URI uri = URI.create(base + path);
      String origin = ChartHttp.origin(uri);
      ChartHttp.Response response = http.get(uri, authorization, origin, accept, maxBytes, what);
      if (response.status() != 401) {
        return response;
      }
      String challenge = response.header("WWW-Authenticate").orElse("");
      if (challenge.regionMatches(true, 0, "Bearer ", 0, 7)) {
        tokens.remove(key); // refused: expired early, revoked, or for another scope
        authorization = "Bearer " + token(challenge, what);
      } else if (credentials instanceof ChartCredentials.Basic basic && (authorization == null || !authorization.startsWith("Basic "))) {
        authorization = basic.header();
      } else {
        return response;
      }
      return http.get(uri, authorization, origin, accept, maxBytes, what);
    }

    /** Asks the challenge's realm for a token, with the basic credentials if the server has them (anonymously if not). */
    private String token(String challenge, String what) throws ChartFetchException {
      Map<String, String> params = new java.util.HashMap<>();
      Matcher m = CHALLENGE_PARAM.matcher(challenge);
      while (m.find()) {
        params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
      }
      String realm = params.get("realm");
      if (realm == null) {
        throw new ChartFetchException(what + ": the registry asked for a Bearer token without naming a realm", false);
      }
      StringBuilder query = new StringBuilder();
      for (String key : List.of("service", "scope")) {
        if (params.containsKey(key)) {
          query.append(query.length() == 0 ? "?" : "&").append(key).append('=')
              .append(URLEncoder.encode(params.get(key), StandardCharsets.UTF_8));
        }
      }
      URI realmUri = URI.create(realm + query);
      String basic = credentials instanceof ChartCredentials.Basic b ? b.header() : null;
      ChartHttp.Response response = http.get(realmUri, basic, basic == null ? null : ChartHttp.origin(realmUri), "application/json",
          MAX_JSON_BYTES, "a token for " + what + " from " + ChartHttp.hostAndPort(realmUri));
      check(response, "a token for " + what + " from " + ChartHttp.hostAndPort(realmUri));
      JsonNode token = json(response, "the token answer of " + ChartHttp.hostAndPort(realmUri));
      String value = token.hasNonNull("token") ? token.get("token").asText() : token.path("access_token").asText("");
      if (value.isEmpty()) {
        throw new ChartFetchException(what + ": " + ChartHttp.hostAndPort(realmUri) + " answered without a token", false);
      }
      keep("Bearer " + value, token.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS));
      return value;
    }

    /** Keeps a token for nine tenths of its life, so that none is sent as it expires. */
    private void keep(String header, long seconds) {
      if (seconds <= 0) {
        return;
      }
      if (tokens.size() >= MAX_CACHED_TOKENS) {
        tokens.values().removeIf(t -> !t.fresh());
        if (tokens.size() >= MAX_CACHED_TOKENS) {
          tokens.clear();
        }
      }
      tokens.put(key, new CachedToken(header, System.nanoTime() + Duration.ofSeconds(seconds).multipliedBy(9).dividedBy(10).toNanos()));
    }
  }
}
