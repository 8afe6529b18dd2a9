package dev.tether.common.kubeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {
  @Test
  void nothingThatSpeaksForSomeoneElsePasses() {
    Map<String, List<String>> in = new LinkedHashMap<>();
    in.put("Authorization", List.of("Bearer prod:tether-access-x"));
    in.put("Impersonate-User", List.of("system:admin"));
    in.put("impersonate-group", List.of("system:masters"));
    in.put("Impersonate-Extra-scopes", List.of("all"));
    in.put("X-Remote-User", List.of("root"));
    in.put("Connection", List.of("keep-alive, X-Secret"));
    in.put("X-Secret", List.of("hop"));
    in.put("Accept", List.of("application/json"));
    in.put("User-Agent", List.of("kubectl/v1.37.2"));

    assertThat(ProxyHeaders.request(in)).containsOnlyKeys("Accept", "User-Agent");
  }

  @Test
  void upgradesAreRecognised() {
    assertThat(ProxyHeaders.isUpgrade(Map.of("Connection", List.of("Upgrade"), "Upgrade", List.of("SPDY/3.1")))).isTrue();
    assertThat(ProxyHeaders.isUpgrade(Map.of("Accept", List.of("*/*")))).isFalse();
  }

  @Test
  void responsesKeepTheirContentHeaders() {
    Map<String, List<String>> out = ProxyHeaders.response(Map.of("Content-Type", List.of("application/json"),
        "Transfer-Encoding", List.of("chunked"), "Audit-Id", List.of("abc"), "Content-Length", List.of("12")));

    assertThat(out).containsOnlyKeys("Content-Type", "Audit-Id");
  }

  @Test
  void anUpgradeKeepsItsProtocolAndItsNegotiationHeaders() {
    Map<String, List<String>> request = new LinkedHashMap<>();
    request.put("Connection", List.of("Upgrade"));
    request.put("Upgrade", List.of("websocket"));
    request.put("Sec-WebSocket-Key", List.of("k"));
    request.put("Sec-WebSocket-Protocol", List.of("v5.channel.k8s.io"));
    request.put("X-Stream-Protocol-Version", List.of("v4.channel.k8s.io"));

    assertThat(ProxyHeaders.upgrade(request)).contains("websocket");
    assertThat(ProxyHeaders.request(request)).containsOnlyKeys("Sec-WebSocket-Key", "Sec-WebSocket-Protocol", "X-Stream-Protocol-Version");
    assertThat(ProxyHeaders.upgrade(Map.of("Accept", List.of("*/*")))).isEmpty();
    assertThat(ProxyHeaders.switched(Map.of("Connection", List.of("Upgrade"), "Upgrade", List.of("SPDY/3.1"),
        "X-Stream-Protocol-Version", List.of("v4.channel.k8s.io")))).containsOnlyKeys("Upgrade", "X-Stream-Protocol-Version");
  }
}
