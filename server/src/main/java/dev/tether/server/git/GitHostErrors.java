package dev.tether.server.git;

import java.io.EOFException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;

/**
 * Failures to reach a Git host, told in one sentence whatever the cause. A refused connection, a
 * timeout, a missing route and an unknown name would otherwise tell whoever adds projects which
 * ports are open on hosts only the server can reach.
 */
final class GitHostErrors {
  private GitHostErrors() {}

  /** The one message for a host that could not be reached, whatever the reason. */
  static String unreachable(GitUrls.Target target) {
    return "cannot reach the Git host " + target.hostAndPort() + " (no answer, refused, or the name does not resolve): check "
        + "the URL, DNS and firewalls between the server and the host";
  }

  /** Whether a fetch failed because the host could not be reached at all (rather than answered with an error). */
  static boolean isUnreachable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
          || t instanceof PortUnreachableException || t instanceof InterruptedIOException || t instanceof EOFException
          || t instanceof UnresolvedAddressException || t instanceof SocketException) {
        return true;
      }
      String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      // JGit and the SSH client sometimes keep only the words of the cause.
      if (message.contains("connection refused") || message.contains("timed out") || message.contains("time out")
          || message.contains("timeout") || message.contains("no route to host") || message.contains("unknown host")
          || message.contains("network is unreachable") || message.contains("connection reset")
          || message.contains("connection failed")) {
        return true;
      }
    }
    return false;
  }
}
