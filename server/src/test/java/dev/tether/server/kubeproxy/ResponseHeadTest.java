package dev.tether.server.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponseHeadTest {
  private static InputStream bytes(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String body(ResponseHead head, InputStream in) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    head.copyBody(in, out);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void a101LeavesTheSwitchedProtocolsBytesUnread() throws Exception {
    InputStream in = bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nconnection: Upgrade\r\n"
        + "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n\u0001first frame");

    ResponseHead head = ResponseHead.read(in);

    assertThat(head.status()).isEqualTo(101);
    assertThat(head.headers().get("Connection")).containsExactly("Upgrade");
    assertThat(head.headers().get("sec-websocket-protocol")).containsExactly("v5.channel.k8s.io");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("\u0001first frame");
  }

  @Test
  void aChunkedRefusalIsReadToItsLastChunkOnly() throws Exception {
    InputStream in = bytes("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "5\r\n{\"a\":\r\nA;ext=1\r\n\"forbidden\r\n1\r\n}\r\n0\r\nTrailer: x\r\n\r\nNOT THIS");

    ResponseHead head = ResponseHead.read(in);

    assertThat(head.status()).isEqualTo(403);
    assertThat(body(head, in)).isEqualTo("{\"a\":\"forbidden}");
    assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).isEqualTo("NOT THIS");
  }

  @Test
  void aBodyWithALengthOrUntilTheEnd() throws Exception {
    InputStream sized = bytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n\r\nbad!more");
    assertThat(body(ResponseHead.read(sized), sized)).isEqualTo("bad!");
    InputStream closed = bytes("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nall of it");
    assertThat(body(ResponseHead.read(closed), closed)).isEqualTo("all of it");
  }

  @Test
  void brokenAnswersAreErrors() {
    assertThatThrownBy(() -> ResponseHead.read(bytes("HTTP/1.1 101 Switching"))).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> ResponseHead.read(bytes("SSH-2.0-OpenSSH\r\n\r\n"))).hasMessageContaining("not an HTTP/1.1 response");
    InputStream short_ = bytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 10\r\n\r\nbad");
    assertThatThrownBy(() -> body(ResponseHead.read(short_), short_)).isInstanceOf(EOFException.class);
  }
}
