package dev.tether.server.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/** Where the server keeps its state: the embedded H2 file in the data dir, or a PostgreSQL database. */
public sealed interface DatabaseSettings {

  /** The default: an H2 file in the data dir, for one server. */
  record Embedded() implements DatabaseSettings {}

  /**
   * A PostgreSQL database. The password comes from a file or the environment, never from the URL, so
   * that it does not show in process listings or shell history.
   *
   * @param password empty when PostgreSQL needs none (trust, peer or certificate authentication, or a
   *     {@code .pgpass} file the driver reads)
   */
  record Postgres(String jdbcUrl, String user, Optional<String> password) implements DatabaseSettings {
    public static final String URL_PREFIX = "jdbc:postgresql://";

    public Postgres {
      checkUrl(jdbcUrl);
      if (user == null || user.isBlank()) {
        throw new IllegalArgumentException("PostgreSQL needs a user name: give --database-user or set TETHER_DATABASE_USER");
      }
    }

    /** The URL without its parameters: host, port and database. */
    public String address() {
      int query = jdbcUrl.indexOf('?');
      return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    /** What messages may show: the address and the user. */
    public String describe() {
      return "PostgreSQL database " + address() + " as user '" + user + "'";
    }

    @Override
    public String toString() {
      return describe();
    }

    private static void checkUrl(String url) {
      if (url == null || !url.startsWith(URL_PREFIX) || url.length() == URL_PREFIX.length()) {
        throw new IllegalArgumentException("--database-url takes a PostgreSQL URL, " + URL_PREFIX + "HOST[:PORT]/DATABASE[?PARAM=VALUE&...]"
            + "; leave it out for the embedded H2 database in --data-dir");
      }
      String authority = url.substring(URL_PREFIX.length()).split("[/?]", 2)[0];
      if (authority.contains("@")) {
        throw new IllegalArgumentException("--database-url must not carry a user or password before the host (" + URL_PREFIX
            + "USER:PASSWORD@HOST): give the user with --database-user and the password with --database-password-file FILE"
            + " or the environment variable TETHER_DATABASE_PASSWORD");
      }
      int query = url.indexOf('?');
      if (query < 0) {
        return;
      }
      for (String parameter : url.substring(query + 1).split("&")) {
        String name = URLDecoder.decode(parameter.split("=", 2)[0], StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        if (name.equals("password")) {
          throw new IllegalArgumentException("--database-url must not carry the password (anyone who can list this machine's"
              + " processes would read it): remove password=... from the URL and give it with --database-password-file FILE"
              + " or the environment variable TETHER_DATABASE_PASSWORD");
        }
        if (name.equals("user")) {
          throw new IllegalArgumentException("--database-url names the user (user=...): remove it from the URL and give it with"
              + " --database-user (or TETHER_DATABASE_USER), so that one setting says who the server is");
        }
      }
    }
  }
}
