package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
  static final Path KEY = Path.of("k");

  @Test
  void badSettingsNameTheSettingTheValueAndTheRange() {
    assertThatThrownBy(() -> ClientConfig.of("nohostport", "t", KEY))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
          assertThat(e.getMessage()).isEqualTo("server: nohostport is not valid (expected host:port)");
        });
    assertThatThrownBy(() -> ClientConfig.of("h:99999", "t", KEY)).hasMessageContaining("1..65535");
    assertThatThrownBy(() -> ClientConfig.of("h:x", "t", KEY)).hasMessageContaining("numeric port");
    assertThatThrownBy(() -> ClientConfig.of("h:1", "", KEY)).hasMessageStartingWith("token: missing");
    assertThatThrownBy(() -> ClientConfig.of("h:1", "t", KEY).withParallelism(0))
        .hasMessage("parallelism: 0 is not valid (expected 1..256)");
    assertThatThrownBy(() -> ClientConfig.of("h:1", "t", KEY).withReadAheadBytes(1))
        .hasMessageStartingWith("readAheadBytes: 1 is not valid");
    assertThatThrownBy(() -> ClientConfig.of("h:1", "t", KEY).withTlsClientCert(Path.of("c"), Path.of("k")))
        .hasMessageContaining("without a CA");
    assertThatThrownBy(() -> new ClientConfig.Reconnect(0, 100))
        .hasMessage("reconnect.initialMillis: 0 is not valid (expected 1..60000)");
    assertThatThrownBy(() -> new ClientConfig.Reconnect(500, 100))
        .hasMessage("reconnect.maxMillis: 100 is not valid (expected 500..3600000)");
    assertThat(ClientConfig.of("h:1", "t", KEY).reconnect()).isEqualTo(ClientConfig.DEFAULT_RECONNECT);
    assertThatThrownBy(() -> new ClientConfig.Heartbeat(10, 1000))
        .hasMessage("heartbeat.intervalMillis: 10 is not valid (expected 50..600000)");
    assertThatThrownBy(() -> new ClientConfig.Heartbeat(1000, 1999))
        .hasMessage("heartbeat.timeoutMillis: 1999 is not valid (expected 2000..3600000, at least twice the interval)");
    assertThat(ClientConfig.of("h:1", "t", KEY).heartbeat()).isEqualTo(new ClientConfig.Heartbeat(2000, 6000));
  }

  @Test
  void ipv6AddressesAndTheTokenStaysOutOfToString() {
    ClientConfig c = ClientConfig.of("[::1]:7000", "secret-token", KEY);
    assertThat(c.address().getHostString()).isEqualTo("::1");
    assertThat(c.address().getPort()).isEqualTo(7000);
    assertThat(c.toString()).doesNotContain("secret-token");
  }
}
