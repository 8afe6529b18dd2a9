package dev.tether.agent.kubeproxy;

import dev.tether.common.kubeproxy.ProxyHeaders;
import dev.tether.proto.v1.ProxyRequest;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.SSLUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A raw HTTP/1.1 connection to the agent's API server, with the agent's own credentials (its client
 * certificate or token, as its Kubernetes client has them), for requests that switch protocols.
 */
final class ApiServerSocket {
  private static final int CONNECT_MILLIS = 10_000;
  /** How long the API server may take to answer an upgrade's head (it dials the node first). */
  private static final int HEAD_MILLIS = 60_000;
  private static final int MAX_HEAD_BYTES = 64 * 1024;

  /** A response's status line and headers. */
  record Head(int status, Map<String, List<String>> headers) {
    String first(String name) {
      for (Map.Entry<String, List<String>> h : headers.entrySet()) {
        if (h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty()) {
          return h.getValue().get(0);
        }
      }
      return null;
    }
  }

  private final Config config;
  private final URI master;

  ApiServerSocket(Config config) {
    this.config = config;
    this.master = URI.create(config.getMasterUrl());
  }

  String address() {
    return master.getHost() + ":" + port();
  }

  private boolean tls() {
    return "https".equalsIgnoreCase(master.getScheme());
  }

  private int port() {
    return master.getPort() > 0 ? master.getPort() : tls() ? 443 : 80;
  }

  Socket connect() throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(master.getHost(), port()), CONNECT_MILLIS);
      plain.setSoTimeout(HEAD_MILLIS);
      plain.setTcpNoDelay(true); // an interactive shell sends a key at a time
      if (!tls()) {
        return plain;
      }
      SSLSocket secure = (SSLSocket) sslContext().getSocketFactory().createSocket(plain, master.getHost(), port(), true);
      SSLParameters parameters = secure.getSSLParameters();
      parameters.setApplicationProtocols(new String[] {"http/1.1"}); // upgrades exist in HTTP/1.1 only
      parameters.setEndpointIdentificationAlgorithm(config.isTrustCerts() ? null : "HTTPS");
      secure.setSSLParameters(parameters);
      secure.startHandshake();
      return secure;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  private SSLContext sslContext() throws IOException {
    try {
      return SSLUtils.sslContext(config);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot use the agent's TLS settings for the API server: " + e.getMessage(), e);
    }
  }

  /**
   * The request head as the API server gets it: the client's headers that may pass (as for every
   * proxied request), the upgrade, the agent's credentials and the impersonation the server decided.
   */
  byte[] requestHead(ProxyRequest request) {
    StringBuilder head = new StringBuilder();
    String path = master.getRawPath() == null ? "" : master.getRawPath().replaceAll("/$", "");
    head.append(request.getMethod()).append(' ').append(path).append(request.getPath())
        .append(request.getQuery().isEmpty() ? "" : "?" + request.getQuery()).append(" HTTP/1.1\r\n");
    line(head, "Host", master.getHost() + (master.getPort() > 0 ? ":" + master.getPort() : ""));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    request.getHeadersList().forEach(h -> headers.put(h.getName(), h.getValuesList()));
    // The server stripped these already; strip again, the agent trusts nobody's headers either.
    ProxyHeaders.request(headers).forEach((name, values) -> values.forEach(v -> line(head, name, v)));
    line(head, "Connection", "Upgrade");
    line(head, "Upgrade", request.getUpgrade());
    credentials().ifPresent(value -> line(head, "Authorization", value));
    ImpersonationHeaders.of(request.getImpersonation()).forEach((name, values) -> values.forEach(v -> line(head, name, v)));
    head.append("\r\n");
    return head.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private java.util.Optional<String> credentials() {
    String token = config.getOauthTokenProvider() != null ? config.getOauthTokenProvider().getToken() : null;
    if (blank(token)) {
      token = config.getOauthToken();
    }
    if (blank(token)) {
      token = config.getAutoOAuthToken();
    }
    if (!blank(token)) {
      return java.util.Optional.of("Bearer " + token);
    }
    if (!blank(config.getUsername()) && !blank(config.getPassword())) {
      return java.util.Optional.of("Basic " + Base64.getEncoder().encodeToString(
          (config.getUsername() + ":" + config.getPassword()).getBytes(StandardCharsets.UTF_8)));
    }
    return java.util.Optional.empty(); // a client certificate, in the TLS handshake
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static void line(StringBuilder head, String name, String value) {
    if (name.indexOf('\r') >= 0 || name.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("header " + name + " holds a line break");
    }
    head.append(name).append(": ").append(value).append("\r\n");
  }

  /** Reads a response's head, leaving {@code in} at its first body byte. */
  static Head readHead(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the API server closed the connection before answering");
      }
      if (bytes.size() >= MAX_HEAD_BYTES) {
        throw new IOException("the API server's response head is longer than " + MAX_HEAD_BYTES + " bytes");
      }
      bytes.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    String[] lines = bytes.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
      throw new IOException("the API server answered something other than HTTP/1.1: " + lines[0]);
    }
    int code;
    try {
      code = Integer.parseInt(status[1]);
    } catch (NumberFormatException e) {
      throw new IOException("the API server's status line is malformed: " + lines[0]);
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
      }
    }
    return new Head(code, headers);
  }

  /** The body of an answer other than 101, as its head frames it. */
  static InputStream body(Head head, InputStream in) {
    String encoding = head.first("Transfer-Encoding");
    if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      return new ChunkedBody(in);
    }
    String length = head.first("Content-Length");
    if (length != null) {
      return new BoundedBody(in, Long.parseLong(length.trim()));
    }
    return in; // until the API server closes the connection
  }

  /** The first {@code length} bytes of a stream. */
  private static final class BoundedBody extends InputStream {
    private final InputStream in;
    private long left;

    BoundedBody(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  /** A chunked body, decoded (RFC 9112 §7.1; trailers are read and dropped). */
  private static final class ChunkedBody extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedBody(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = line();
        int semicolon = size.indexOf(';');
        left = Long.parseLong((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
        if (left == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          done = true;
          return -1;
        }
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException("the API server's chunked answer broke off");
      }
      left -= n;
      if (left == 0) {
        line(); // the CRLF after the chunk
      }
      return n;
    }

    private String line() throws IOException {
      StringBuilder s = new StringBuilder();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c < 0) {
          throw new IOException("the API server's chunked answer broke off");
        }
        if (c != '\r') {
          s.append((char) c);
        }
      }
      return s.toString();
    }
  }
}
