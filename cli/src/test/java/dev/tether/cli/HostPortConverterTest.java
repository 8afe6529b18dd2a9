package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class HostPortConverterTest {
  private final HostPortConverter converter = new HostPortConverter();

  @Test
  void readsHostAndPortWithoutResolving() {
    InetSocketAddress address = converter.convert("tether.example.invalid:8443");
    assertThat(address.getHostString()).isEqualTo("tether.example.invalid");
    assertThat(address.getPort()).isEqualTo(8443);
    assertThat(address.isUnresolved()).isTrue();
  }

  @Test
  void readsBracketedIpv6() {
    InetSocketAddress address = converter.convert("[::1]:8080");
    assertThat(address.getHostString()).isEqualTo("::1");
    assertThat(address.getPort()).isEqualTo(8080);
  }

  @Test
  void rejectsWhatIsNotHostPort() {
    assertThatThrownBy(() -> converter.convert("localhost")).isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'localhost' is not HOST:PORT");
    assertThatThrownBy(() -> converter.convert("localhost:http")).hasMessageContaining("no numeric port");
    assertThatThrownBy(() -> converter.convert("localhost:70000")).hasMessageContaining("outside 0-65535");
  }
}
