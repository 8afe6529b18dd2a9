package dev.tether.server.kubeproxy;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * Ends an answer that had started when its source broke off: the agent's tunnel, or the replica
 * holding it. Its status line is sent, so it cannot become a 503 any more. A JSON watch stream,
 * broken between two events, ends with one more event of type ERROR carrying a Status, as the API
 * server ends a watch it cannot continue: kubectl prints its message, and controllers start the
 * watch again. Any other answer is cut off like a dropped connection, without the last chunk: ended
 * normally, a list would look whole and {@code logs -f} finished.
 */
final class BrokenAnswer {
  private BrokenAnswer() {}

  /**
   * @param betweenEvents whether the last byte the client got ended a line (JSON watch events are one a line)
   * @param message what broke, for the user: which agent, why, what to do
   */
  static void end(HttpServletRequest req, HttpServletResponse resp, boolean betweenEvents, String message) {
    try {
      String type = resp.getHeader("Content-Type");
      if (betweenEvents && isWatch(req.getQueryString()) && type != null && type.startsWith("application/json")) {
        ServletOutputStream out = resp.getOutputStream();
        out.write(errorEvent(message));
        out.flush();
        return;
      }
      ServletContextRequest.getServletContextRequest(req).getServletChannel().abort(new IOException(message));
    } catch (IOException | RuntimeException clientGone) {
      // the client went away first
    }
  }

  static byte[] errorEvent(String message) {
    String status = new String(KubeStatus.json(503, KubeStatus.reasonFor(503), message), StandardCharsets.UTF_8);
    return ("{\"type\":\"ERROR\",\"object\":" + status + "}\n").getBytes(StandardCharsets.UTF_8);
  }

  static boolean isWatch(String query) {
    return query != null && (query.contains("watch=true") || query.contains("watch=1"));
  }
}
