package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A read-only mount reads everything and refuses every change with EROFS at the call that asks for it — open
 * for writing, O_TRUNC, O_CREAT, truncate, every namespace change — never later at close, changing nothing at
 * the origin.
 */
class ReadOnlyMountTest extends MountFixture {
  /**
   * Every way a program asks to change the volume, through the system calls themselves (Python's os module): one
   * line per call, "name ok" or "name ERRNO". Run in the mount, on an existing d/f.txt.
   */
  static final String CHANGES = """
      import errno, os
      def attempt(name, call):
          try:
              r = call()
              if isinstance(r, int) and name.startswith('open'):
                  os.close(r)
              print(name, 'ok')
          except OSError as e:
              print(name, errno.errorcode[e.errno])
      for name, flags in [('open O_WRONLY', os.O_WRONLY), ('open O_RDWR', os.O_RDWR),
                          ('open O_WRONLY|O_TRUNC', os.O_WRONLY | os.O_TRUNC),
                          ('open O_RDONLY|O_TRUNC', os.O_RDONLY | os.O_TRUNC),
                          ('open O_WRONLY|O_APPEND', os.O_WRONLY | os.O_APPEND)]:
          attempt(name, lambda: os.open('d/f.txt', flags))
      attempt('open O_CREAT', lambda: os.open('d/new.txt', os.O_WRONLY | os.O_CREAT, 0o644))
      attempt('open O_CREAT|O_EXCL', lambda: os.open('d/new2.txt', os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644))
      attempt('truncate', lambda: os.truncate('d/f.txt', 0))
      attempt('mkdir', lambda: os.mkdir('d/sub'))
      attempt('unlink', lambda: os.unlink('d/f.txt'))
      attempt('rmdir', lambda: os.rmdir('d'))
      attempt('rename', lambda: os.rename('d/f.txt', 'd/g.txt'))
      attempt('symlink', lambda: os.symlink('f.txt', 'd/link'))
      attempt('chmod', lambda: os.chmod('d/f.txt', 0o600))
      attempt('utime', lambda: os.utime('d/f.txt', (1, 1)))
      """;
  static final List<String> CALLS = List.of("open O_WRONLY", "open O_RDWR", "open O_WRONLY|O_TRUNC",
      "open O_RDONLY|O_TRUNC", "open O_WRONLY|O_APPEND", "open O_CREAT", "open O_CREAT|O_EXCL", "truncate", "mkdir",
      "unlink", "rmdir", "rename", "symlink", "chmod", "utime");
  /** Shell commands that change something; each must exit non-zero with {@code message}. */
  static final List<String> SHELL_CHANGES = List.of("echo x > d/new.txt", "echo x >> d/f.txt", "echo x > d/f.txt",
      "printf x > d/f.txt", "touch d/new.txt", "touch d/f.txt", "truncate -s 0 d/f.txt", "mkdir d/sub", "rm d/f.txt",
      "rmdir d", "mv d/f.txt d/g.txt", "ln -s f.txt d/link", "chmod 600 d/f.txt", "cp d/f.txt d/copy.txt");

  @Override
  MountOptions mountOptions() {
    return MountOptions.DEFAULTS.withReadOnly(true);
  }

  @Test
  void everyWriteIsRefusedWithEROFS() throws Exception {
    long version = writeTheVolume(client);
    refusesEveryChange(this, "Read-only file system", "EROFS");
    unchanged(client, version);
    // The kernel knows: access(2) and mount(8) tell a program before it tries.
    assertThat(sh("if [ -w d/f.txt ]; then echo writable; else echo not writable; fi")).isEqualTo("not writable\n");
    assertThat(sh("grep ' " + mnt + " ' /proc/self/mountinfo | cut -d' ' -f6")).startsWith("ro");
  }

  /** What the read-only tests start from: d/f.txt, "keep me". Returns its version. */
  static long writeTheVolume(OutpostClient writer) {
    writer.mkdir("/d", false);
    return writer.write("/d/f.txt", "keep me\n".getBytes(StandardCharsets.UTF_8), WriteOptions.DEFAULTS).attr()
        .version();
  }

  /** Every change through the mount fails at the call with {@code message} (shell) and {@code errno} (Python). */
  static void refusesEveryChange(MountFixture m, String message, String errno) throws Exception {
    assertThat(m.sh("cat d/f.txt")).isEqualTo("keep me\n");
    for (String change : SHELL_CHANGES) {
      Result r = m.shResult(change);
      assertThat(r.exitCode()).as(change).isNotZero();
      assertThat(r.output()).as(change).contains(message);
    }
    assumeTrue(installed("python3"), "python3 is not installed: system calls not tried one by one");
    Result r = m.shResult("python3 - <<'EOF'\n" + CHANGES + "EOF");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output().lines()).containsExactlyElementsOf(CALLS.stream().map(c -> c + " " + errno).toList());
  }

  /** Nothing changed at the origin, and the mount still shows it so. */
  static void unchanged(MountFixture m, OutpostClient c, long version) throws Exception {
    assertThat(m.sh("cat d/f.txt")).isEqualTo("keep me\n");
    assertThat(m.sh("stat -c %s d/f.txt").strip()).isEqualTo("8");
    assertThat(c.stat("/d/f.txt").version()).isEqualTo(version);
    assertThat(c.stat("/d/f.txt").size()).isEqualTo(8);
    assertThat(c.list("/d")).extracting(e -> e.name()).containsExactly("f.txt");
  }

  private void unchanged(OutpostClient c, long version) throws Exception {
    unchanged(this, c, version);
  }
}
