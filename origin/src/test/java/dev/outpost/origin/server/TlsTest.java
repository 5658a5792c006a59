package dev.outpost.origin.server;

import static dev.outpost.origin.server.OriginFixture.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken.Mode;
import dev.outpost.crypto.CertificateAuthority;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.GetAttr;
import dev.outpost.transport.RpcClient;
import dev.outpost.transport.Tls;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {
  @TempDir
  Path tmp;
  OriginFixture origin;

  @BeforeEach
  void start() {
    origin = OriginFixture.start(tmp, "", true);
  }

  @AfterEach
  void stop() {
    origin.close();
  }

  @Test
  void certificatesFromInitWorkEndToEnd() {
    RpcClient c = origin.connect(Mode.RO);
    assertThat(((AttrReply) call(c, new GetAttr("", "/"))).attr().inode()).isPositive();
  }

  @Test
  void clientsWithoutTheCaOrWithoutACertificateAreRefused() throws Exception {
    String token = origin.token(Mode.RO, "x", Duration.ofHours(1));
    OriginDataDir d = new OriginDataDir(origin.data);
    Path otherCa = tmp.resolve("other-ca.pem");
    CertificateAuthority.create("Someone else", Duration.ofDays(1), Clock.systemUTC(), new SecureRandom())
        .save(otherCa, tmp.resolve("other-ca.key"));
    RpcClient.Options strangerTrust = RpcClient.Options.plain("t", token)
        .withTls(Tls.client(otherCa, Optional.of(new Tls.KeyMaterial(d.caCert(), d.proxyCert(), d.proxyKey()))));
    assertThatThrownBy(() -> RpcClient.connect(origin.group, origin.address(), strangerTrust))
        .isInstanceOf(OutpostException.class);
    RpcClient.Options noClientCert = RpcClient.Options.plain("t", token).withTls(Tls.client(d.caCert(), Optional.empty()));
    assertThatThrownBy(() -> RpcClient.connect(origin.group, origin.address(), noClientCert).call(new GetAttr("", "/")).get())
        .isInstanceOfAny(OutpostException.class, java.util.concurrent.ExecutionException.class);
    assertThatThrownBy(() -> RpcClient.connect(origin.group, origin.address(), RpcClient.Options.plain("t", token)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isIn(ErrorCode.UNAVAILABLE, ErrorCode.MALFORMED_FRAME, ErrorCode.PROTOCOL_VIOLATION));
  }
}
