package dev.outpost.fuse;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real origin on 127.0.0.1, a client and the volume mounted at {@link #mnt}; tests run ordinary programs inside
 * the mount. Skipped (with the reason) where the machine has no /dev/fuse or no libfuse3. Always unmounts.
 */
abstract class MountFixture {
  @TempDir
  Path tmp;
  EmbeddedOrigin origin;
  OutpostClient client;
  OutpostMount mount;
  Path mnt;

  /** The options this test mounts with. */
  MountOptions mountOptions() {
    return MountOptions.DEFAULTS;
  }

  /** How the mount's {@link #client} connects: with the origin's admin token unless a test says otherwise. */
  ClientConfig clientConfig() {
    return TestOrigins.config(origin);
  }

  /**
   * Runs once the client is connected, before the volume is mounted. A test that restarts the origin does it
   * here: the auto_unmount helper (fusermount3) that mounting forks inherits the JVM's open sockets, the
   * origin's listening one included, and holds them while mounted, so the port cannot be bound again until then.
   */
  void beforeMount() throws Exception {}

  @BeforeEach
  void mountVolume() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: FUSE tests skipped");
    assumeTrue(Files.isReadable(MountOptions.DEFAULT_LIBFUSE),
        "libfuse3 not installed at " + MountOptions.DEFAULT_LIBFUSE + ": FUSE tests skipped (apt-get install fuse3)");
    origin = EmbeddedOrigin.start(Files.createDirectories(tmp.resolve("origin")), TestOrigins.VOLUME);
    client = OutpostClient.connect(clientConfig());
    beforeMount();
    mnt = Files.createDirectories(tmp.resolve("mnt"));
    mount = OutpostMount.mount(client, mnt, mountOptions().withSpoolDir(tmp.resolve("spool")));
    mnt = mount.mountPoint();
  }

  @AfterEach
  void unmount() throws Exception {
    try {
      if (mount != null) {
        mount.close();
      }
    } finally {
      if (mnt != null && OutpostMount.isMounted(mnt)) {
        new ProcessBuilder("fusermount3", "-u", "-z", mnt.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
      }
      if (client != null) {
        client.close();
      }
      if (origin != null) {
        origin.close();
      }
    }
    assertThat(mnt == null || !OutpostMount.isMounted(mnt)).as("no mount left behind").isTrue();
  }

  /** What a program printed and how it ended. */
  record Result(int exitCode, String output) {}

  /** Runs {@code sh -c script} inside the mount; fails the test if it does not exit 0. */
  String sh(String script) throws Exception {
    Result r = shResult(script);
    assertThat(r.exitCode()).as("exit code of `%s`, output:%n%s", script, r.output()).isZero();
    return r.output();
  }

  Result shResult(String script) throws Exception {
    Process p = new ProcessBuilder(List.of("sh", "-c", script)).directory(mnt.toFile()).redirectErrorStream(true)
        .start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("`" + script + "` did not finish within 60 s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** A bound for programs that must end quickly: it only keeps a hang from passing, it measures nothing. */
  static final long HANG_BOUND_SECONDS = 20;

  /**
   * Runs {@code sh -c script} inside the mount with its output in a file, so that a program stuck in the kernel
   * cannot block the test; fails if it has not ended within {@code seconds}.
   */
  Result shWithin(long seconds, String script) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Process p = new ProcessBuilder(List.of("sh", "-c", script)).directory(mnt.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("`" + script + "` did not finish within " + seconds + " s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  static boolean installed(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
