package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.server.StaleBranch;
import dev.outpost.protocol.DirEntry;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the library shows of answers a branch cut off from the origin gave from its cache. */
class StalenessTest {
  private static final Instant CUT = Instant.parse("2026-12-04T08:30:00Z");
  @TempDir
  Path dir;
  private EmbeddedOrigin origin;
  private OutpostClient direct;

  @BeforeEach
  void start() {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    direct = TestOrigins.client(origin);
    direct.mkdir("/d", false);
    direct.write("/d/f", new byte[] {1, 2, 3}, WriteOptions.DEFAULTS);
    direct.symlink("/d/l", "f");
  }

  @AfterEach
  void stop() {
    direct.close();
    origin.close();
  }

  @Test
  void answersFromTheOriginAreCurrent() {
    assertThat(direct.describe("/d/f").staleSince()).isEmpty();
    assertThat(direct.listing("/d").staleSince()).isEmpty();
    assertThat(direct.open("/d/f").staleSince()).isEmpty();
  }

  @Test
  void answersOfACutOffBranchSaySinceWhenTheyAreStale() {
    try (StaleBranch branch = StaleBranch.start(origin.server().volume(), CUT.toEpochMilli());
        OutpostClient c = OutpostClient.connect(ClientConfig.of(branch.address(), "any", origin.keyFile())
            .withParallelism(2))) {
      Stat s = c.describe("/d/f");
      assertThat(s.staleSince()).contains(CUT);
      assertThat(s.attr()).isEqualTo(direct.stat("/d/f"));
      Listing l = c.listing("/d");
      assertThat(l.staleSince()).contains(CUT);
      assertThat(l.entries()).extracting(DirEntry::name).containsExactly("f", "l");
      OutpostFile f = c.open("/d/f");
      assertThat(f.staleSince()).contains(CUT);
      assertThat(f.size()).isEqualTo(3);
      assertThatThrownBy(() -> c.mkdir("/new", false)).isInstanceOfSatisfying(OutpostException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.OFFLINE));
    }
  }
}
