package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.protocol.FileType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SIGKILL a process in the middle of mutations: every acknowledged one survives and the volume is consistent. */
class CrashRecoveryTest extends VolumeTestBase {

  @Test
  @Timeout(60)
  void acknowledgedMutationsSurviveSigkillAndNoneIsHalfApplied() throws Exception {
    volume.close();
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-javaagent")) {
        command.add(arg);
      }
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashWorkload.class.getName(),
        dir.toString()));
    Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    int acknowledged = -1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        acknowledged = Integer.parseInt(line.substring(3));
        if (acknowledged >= 40) {
          break;
        }
      }
      // Killed while it keeps mutating: on Unix destroyForcibly is SIGKILL.
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acknowledged).as("child made progress before the kill").isGreaterThanOrEqualTo(40);

    volume = LmdbVolume.open(dir, CONFIG, clock, 1_000);
    assertThat(volume.fsck()).isEmpty();
    for (int i = 0; i <= acknowledged; i++) {
      assertThat(volume.getAttr("", "/d" + i + "/g").type()).isEqualTo(FileType.FILE);
    }
    // Each iteration is 3 journal entries (mkdir, commit, rename); the last may be partly done, never half of one.
    long seq = volume.currentSeq();
    assertThat(seq).isGreaterThanOrEqualTo(3L * (acknowledged + 1));
    int last = (int) ((seq - 1) / 3);
    String lastDir = "/d" + last;
    switch ((int) (seq % 3)) {
      case 1 -> failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", lastDir + "/f"));
      case 2 -> assertThat(volume.getAttr("", lastDir + "/f").size()).isEqualTo(10);
      default -> assertThat(volume.getAttr("", lastDir + "/g").size()).isEqualTo(10);
    }
    failure(ErrorCode.NOT_FOUND, () -> volume.getAttr("", "/d" + (last + 1)));
  }
}
