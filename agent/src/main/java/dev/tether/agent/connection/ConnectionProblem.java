package dev.tether.agent.connection;

import io.grpc.Metadata;
import io.grpc.Status;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Why a connection to the server failed, said so that the person running the agent knows what to do.
 *
 * @param retryAfter how long the server asked the agent to wait before dialing again, if it did
 */
record ConnectionProblem(Kind kind, String message, Optional<Duration> retryAfter) {

  enum Kind { TOKEN_REJECTED, TLS, UNREACHABLE, RATE_LIMITED, OTHER }

  // Sent by the server with RESOURCE_EXHAUSTED, and with UNAVAILABLE when its database is busy: whole seconds to wait.
  private static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
  // A bogus hint must not park the agent for a day.
  private static final Duration LONGEST_RETRY_AFTER = Duration.ofMinutes(10);

  ConnectionProblem(Kind kind, String message) {
    this(kind, message, Optional.empty());
  }

  static ConnectionProblem of(Throwable error, String server, String trust) {
    Status status = Status.fromThrowable(error);
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      return new ConnectionProblem(Kind.RATE_LIMITED, "the server at " + server + " refused the connection for now: "
          + status.getDescription(), retryAfter(Status.trailersFromThrowable(error)));
    }
    if (status.getCode() == Status.Code.UNAUTHENTICATED) {
      return new ConnectionProblem(Kind.TOKEN_REJECTED, "the server refused the agent token: " + status.getDescription()
          + ". Check --token-file, or create a new token with `tether admin token create --agent <name>`");
    }
    // The specific cause sits below generic handshake exceptions, so look along the whole chain first.
    for (Throwable t = error; t != null; t = t.getCause()) {
      String text = String.valueOf(t.getMessage());
      if (t instanceof CertificateExpiredException || text.contains("validity check failed") && text.contains("NotAfter")) {
        return tls("the server's certificate has expired (" + text + ")");
      }
      if (t instanceof CertificateNotYetValidException) {
        return tls("the server's certificate is not valid yet; check both machines' clocks (" + text + ")");
      }
      if (t instanceof CertPathBuilderException || text.contains("PKIX path building failed")
          || text.contains("unable to find valid certification path")) {
        return tls("the server's certificate is not signed by a CA the agent trusts (" + trust + "); pass the CA that "
            + "signed it with --ca-file (for a server started with --dev-tls, that is ca.crt in its data dir's tls folder)");
      }
      if (text.contains("No subject alternative") || text.contains("No name matching")) {
        return tls("the server's certificate is not valid for '" + host(server) + "' (" + text + "); connect with a name "
            + "the certificate lists, or reissue it for this name");
      }
      if (t.getClass().getSimpleName().equals("NotSslRecordException") || text.contains("not an SSL/TLS record")) {
        return tls("the server at " + server + " did not answer with TLS: is this the agent port and not the HTTP port?");
      }
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        Throwable root = t;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        return tls("TLS handshake with " + server + " failed: " + t.getMessage() + (root == t ? "" : " (" + root.getMessage() + ")"));
      }
    }
    // A server that is up but cannot serve now (its database busy after a restart) says when to come back.
    Optional<Duration> busyFor = status.getCode() == Status.Code.UNAVAILABLE
        ? retryAfter(Status.trailersFromThrowable(error)) : Optional.empty();
    if (busyFor.isPresent()) {
      return new ConnectionProblem(Kind.UNREACHABLE, "the server at " + server + " cannot take the connection now: "
          + status.getDescription(), busyFor);
    }
    if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      Throwable root = error;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String detail = root == error ? String.valueOf(status.getDescription()) : root.getMessage();
      return new ConnectionProblem(Kind.UNREACHABLE, "cannot reach the server at " + server + ": " + detail);
    }
    return new ConnectionProblem(Kind.OTHER, "the connection to " + server + " ended: " + status.getCode()
        + (status.getDescription() == null ? "" : " " + status.getDescription()));
  }

  private static Optional<Duration> retryAfter(Metadata trailers) {
    String seconds = trailers == null ? null : trailers.get(RETRY_AFTER);
    if (seconds == null) {
      return Optional.empty();
    }
    try {
      long value = Long.parseLong(seconds.strip());
      return value < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(value, LONGEST_RETRY_AFTER.toSeconds())));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static ConnectionProblem tls(String message) {
    return new ConnectionProblem(Kind.TLS, message);
  }

  private static String host(String server) {
    int colon = server.lastIndexOf(':');
    return colon > 0 ? server.substring(0, colon) : server;
  }
}
