package dev.outpost.origin.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseEpochsTest {
  @TempDir
  Path dir;

  @Test
  void tokensGrowAcrossRestartsSkippingTheUnusedReservation() {
    LeaseEpochs first = LeaseEpochs.open(dir, 100);
    assertThat(first.next()).isEqualTo(1);
    assertThat(first.next()).isEqualTo(2);
    assertThat(first.highWaterMark()).isEqualTo(100);
    LeaseEpochs second = LeaseEpochs.open(dir, 100);
    assertThat(second.next()).isEqualTo(101);
  }

  @Test
  void aFailedWriteNamesItsCauseButNotTheServersPath() throws Exception {
    LeaseEpochs epochs = LeaseEpochs.open(dir, 10);
    // A directory where the file's temporary copy goes: the kernel refuses to open it for writing.
    Files.createDirectory(dir.resolve(LeaseEpochs.FILE_NAME + ".tmp"));
    assertThatThrownBy(epochs::next).isInstanceOfSatisfying(OutpostException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.NO_SPACE);
      assertThat(e.getMessage()).contains("lease epoch file").doesNotContain(dir.toString());
    });
  }
}
