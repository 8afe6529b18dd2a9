package dev.tether.server.kubeproxy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An HTTP/1.1 response head read off a socket byte by byte (so nothing after it is consumed: after a
 * 101 the next bytes belong to the switched protocol), and the body after it when the answer is not a 101.
 */
record ResponseHead(int status, Map<String, List<String>> headers) {
  private static final int MAX_HEAD = 64 * 1024;

  static ResponseHead read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0; // of "\r\n\r\n"
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the connection closed before a whole response head arrived");
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1
          : b == '\r' ? 1 : 0;
      if (head.size() > MAX_HEAD) {
        throw new IOException("the response head is over " + MAX_HEAD + " bytes");
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.1 response: " + lines[0]);
    }
    int status;
    try {
      status = Integer.parseInt(statusLine[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status: " + lines[0], e);
    }
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).strip(), k -> new ArrayList<>()).add(lines[i].substring(colon + 1).strip());
      }
    }
    return new ResponseHead(status, headers);
  }

  private String first(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** Copies the body that follows this head (by its length, chunked, or up to the end of the connection) to {@code out}. */
  void copyBody(InputStream in, OutputStream out) throws IOException {
    String encoding = first("Transfer-Encoding");
    String length = first("Content-Length");
    if (encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
      while (true) {
        String size = line(in);
        int semicolon = size.indexOf(';');
        long n = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).strip(), 16);
        if (n == 0) {
          while (!line(in).isEmpty()) {
            // trailers: none matter here
          }
          return;
        }
        copy(in, out, n);
        line(in);
      }
    } else if (length != null) {
      copy(in, out, Long.parseLong(length.strip()));
    } else {
      in.transferTo(out);
    }
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buffer = new byte[8192];
    while (n > 0) {
      int read = in.read(buffer, 0, (int) Math.min(buffer.length, n));
      if (read < 0) {
        throw new EOFException("the answer's body broke off");
      }
      out.write(buffer, 0, read);
      n -= read;
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b; (b = in.read()) != '\n'; ) {
      if (b < 0) {
        throw new EOFException("the answer's body broke off");
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }
}
