package dev.tether.cli.admin;

import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the server is and the admin token to show it; shared by every admin command. */
final class AdminConnection {
  @Option(names = "--server-url", paramLabel = "URL", defaultValue = "${env:TETHER_SERVER_URL:-http://127.0.0.1:8080}",
      description = "The server's HTTP address (default: $TETHER_SERVER_URL or ${DEFAULT-VALUE}).")
  String serverUrl;

  @Option(names = "--admin-token-file", paramLabel = "FILE", defaultValue = "${env:TETHER_ADMIN_TOKEN_FILE:-tether-data/admin-token}",
      description = "File with the admin token the server wrote on first start (default: $TETHER_ADMIN_TOKEN_FILE or "
          + "${DEFAULT-VALUE}). $TETHER_ADMIN_TOKEN, when set, is used instead.")
  Path adminTokenFile;

  AdminClient client() {
    String token = System.getenv("TETHER_ADMIN_TOKEN");
    if (token == null || token.isBlank()) {
      try {
        token = Files.readString(adminTokenFile);
      } catch (IOException e) {
        throw new AdminClient.AdminException("cannot read the admin token file " + adminTokenFile + " (" + e.getMessage()
            + "); pass --admin-token-file <server data dir>/admin-token");
      }
    }
    try {
      return new AdminClient(serverUrl, SecretToken.parse(SecretToken.Kind.ADMIN, token).reveal());
    } catch (MalformedTokenException e) {
      throw new AdminClient.AdminException("the admin token is not usable: " + e.getMessage());
    }
  }
}
