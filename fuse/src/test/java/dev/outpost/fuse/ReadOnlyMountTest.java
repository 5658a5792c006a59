package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.WriteOptions;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A read-only mount reads everything and refuses every change with EROFS, changing nothing at the origin. */
class ReadOnlyMountTest extends MountFixture {
  @Override
  MountOptions mountOptions() {
    return MountOptions.DEFAULTS.withReadOnly(true);
  }

  @Test
  void everyWriteIsRefusedWithEROFS() throws Exception {
    client.mkdir("/d", false);
    client.write("/d/f.txt", "keep me\n".getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULTS);
    long version = client.stat("/d/f.txt").version();

    assertThat(sh("cat d/f.txt")).isEqualTo("keep me\n");
    for (String write : new String[] {"printf x > d/new.txt", "printf x >> d/f.txt", "printf x > d/f.txt",
        "mkdir d/sub", "rm d/f.txt", "rmdir d", "mv d/f.txt d/g.txt", "ln -s f.txt d/link", "chmod 600 d/f.txt",
        "touch d/f.txt", "truncate -s 0 d/f.txt"}) {
      Result r = shResult(write);
      assertThat(r.exitCode()).as(write).isNotZero();
      assertThat(r.output()).as(write).contains("Read-only file system");
    }
    assertThat(sh("cat d/f.txt")).isEqualTo("keep me\n");
    assertThat(client.stat("/d/f.txt").version()).isEqualTo(version);
    assertThat(client.list("/d")).extracting(e -> e.name()).containsExactly("f.txt");
  }
}
