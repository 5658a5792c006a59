package dev.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.ErrorCode;
import org.junit.jupiter.api.Test;

class HandshakeTest {

  @Test
  void aClientSpeakingTheCurrentVersionGetsIt() {
    assertThat(ProtocolVersion.negotiate(ProtocolVersion.hello("client/1", "tok"))).isEqualTo(ProtocolVersion.CURRENT);
  }

  @Test
  void aNewerClientThatStillSpeaksOursGetsOurs() {
    assertThat(ProtocolVersion.negotiate(new Hello(1, 5, "client/9", "tok"))).isEqualTo(ProtocolVersion.CURRENT);
  }

  @Test
  void aClientOfVersionOneIsRefused() {
    ProtocolException e = catchThrowableOfType(ProtocolException.class,
        () -> ProtocolVersion.negotiate(new Hello(1, 1, "client/0.1", "tok")));
    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
    assertThat(e).hasMessage("client speaks 1..1, server 2..2");
  }

  @Test
  void anIncompatibleClientIsToldBothRanges() {
    ProtocolException e = catchThrowableOfType(ProtocolException.class,
        () -> ProtocolVersion.negotiate(new Hello(3, 4, "client/9", "tok")));
    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
    assertThat(e).hasMessage("client speaks 3..4, server 2..2");
  }

  @Test
  void aClientRefusesAVersionItDoesNotSpeak() {
    assertThat(ProtocolVersion.accept(new Welcome(2, "origin/2", "vol", 0, 0))).isEqualTo(2);
    for (int version : new int[] {1, 3}) {
      assertThat(catchThrowableOfType(ProtocolException.class,
          () -> ProtocolVersion.accept(new Welcome(version, "origin/x", "vol", 0, 0))).code())
          .isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
    }
  }

  @Test
  void helloToStringHidesTheToken() {
    assertThat(new Hello(1, 1, "agent", "secret-token").toString()).doesNotContain("secret-token");
    assertThat(new Attach("secret-token").toString()).doesNotContain("secret-token");
  }
}
