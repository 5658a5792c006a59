package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.transport.Relay;
import dev.outpost.transport.ServerJvm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost mount} as users run it — a separate JVM — stopped with SIGTERM while programs are blocked inside
 * the mount on an upstream that does not answer (a TCP relay holding the origin's replies back, or refusing
 * connections as a downed origin does), and while an open file holds uncommitted writes. After every stop: the
 * JVM exited with the documented status, wrote no hs_err file and printed no fatal error, the mount point is
 * released, and every blocked program ended with an error instead of hanging.
 *
 * <p>The JVM of the unfixed mount freed libfuse's upcall stubs while upcalls were still running and crashed when
 * they returned (or threw) after the stall ended; so each stall ends some time after the SIGTERM, as a stall in the
 * field does. {@code -Doutpost.mountstop.stops=N} changes the number of stops (default 20).
 */
class MountStopTest {
  private static final int STOPS = Integer.getInteger("outpost.mountstop.stops", 20);
  /** The JVM's status after SIGTERM once its shutdown hooks are done: 128 + 15. */
  private static final int EXIT_AFTER_SIGTERM = 143;
  /** What the mount gives the upstream to answer once stopping (the default, 10 s, would make 25 stops slow). */
  private static final long STOP_TIMEOUT_SECONDS = 2;
  /** How long the upstream stays silent after the SIGTERM before it answers again (a stall, not an outage). */
  private static final long STALL_AFTER_STOP_SECONDS = 20;
  private static final long EXIT_BOUND_SECONDS = 60;
  private static final byte[] CONTENT = new byte[256 << 10];

  @TempDir
  static Path dir;
  static EmbeddedOrigin origin;
  static Relay relay;
  static Path tokenFile;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is absent: no FUSE on this machine");
    assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libfuse3.so.3")), "libfuse3 is not installed");
    origin = EmbeddedOrigin.start(dir.resolve("origin"), TestOrigins.VOLUME);
    tokenFile = dir.resolve("token");
    Files.writeString(tokenFile, origin.adminToken() + "\n");
    new Random(11).nextBytes(CONTENT);
    try (OutpostClient c = TestOrigins.client(origin)) {
      c.mkdir("/dir", false);
      c.mkdir("/grow", false);
      c.mkdir("/list", false);
      for (int i = 0; i < 3; i++) {
        c.write("/list/f" + i, CONTENT, WriteOptions.DEFAULTS);
      }
      c.write("/data.bin", CONTENT, WriteOptions.DEFAULTS);
    }
    relay = new Relay(origin.server().address().getPort());
  }

  @AfterAll
  static void stop() {
    if (relay != null) {
      relay.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Test
  void sigtermWithCallsBlockedOnAStalledUpstreamExitsCleanlyEveryTime() throws Exception {
    for (int i = 0; i < STOPS; i++) {
      stopOnce("stall-" + i, false);
    }
  }

  @Test
  void sigtermWhileTheOriginIsDownExitsCleanly() throws Exception {
    for (int i = 0; i < Math.max(1, STOPS / 4); i++) {
      stopOnce("down-" + i, true);
    }
  }

  /**
   * One mount, one SIGTERM. With {@code originDown} the relay drops the connection and refuses new ones (the mount
   * reconnects in vain, its calls wait for a connection); otherwise it holds every reply back.
   */
  private void stopOnce(String name, boolean originDown) throws Exception {
    Path run = Files.createDirectories(dir.resolve(name));
    Path mnt = Files.createDirectories(run.resolve("mnt"));
    Path crashDir = Files.createDirectories(run.resolve("crash"));
    Path log = run.resolve("mount.log");
    // With the origin down, calls wait this long for a reconnection: longer than the unfixed stop took to free
    // libfuse's memory (10 s), so they fail after it. A stalled connection makes them wait for ever regardless.
    Path config = run.resolve("client.yaml");
    Files.writeString(config, "connectTimeoutMillis: " + (originDown ? 15000 : 5000) + "\n");
    try (OutpostClient c = TestOrigins.client(origin)) {
      c.write("/grow/" + name, CONTENT, WriteOptions.DEFAULTS);
    }
    ServerJvm mount = startMount(mnt, config, crashDir, log);
    List<Blocked> blocked = new ArrayList<>();
    FileChannel held = null;
    try {
      awaitMounted(mount, mnt);
      // A file this JVM holds open; written last (below), so the stop finds writes the origin has not seen.
      held = FileChannel.open(mnt.resolve("held-" + name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

      // A long truncate: it copies the file, grows the copy and commits 1 GiB (of zeros) at close, which takes a
      // while even with the upstream well. Its own directory and no O_CREAT: it holds no directory lock.
      blocked.add(start("truncate", "-c", "-s", "1G", mnt.resolve("grow/" + name).toString()));
      awaitBlockedInFuse(blocked.getFirst());

      if (originDown) {
        relay.refuse(true);
        relay.cutAll();
      } else {
        relay.holdReplies();
      }
      // Each in a directory of its own, so none waits for another's lookup (they all wait for the mount).
      blocked.add(start("stat", mnt.resolve("missing-" + name).toString()));
      blocked.add(start("stat", mnt.resolve("dir/absent").toString()));
      blocked.add(start("cat", mnt.resolve("data.bin").toString()));
      blocked.add(start("ls", "-l", mnt.resolve("list").toString()));
      for (Blocked b : blocked.subList(1, blocked.size())) {
        awaitBlockedInFuse(b);
      }
      // Only into the mount's local copy, so it needs no answer. After the last fork: a child closes its copy of
      // every descriptor, and FUSE turns each close into a flush, which would commit the file.
      held.write(ByteBuffer.wrap(CONTENT));

      long stopNanos = System.nanoTime();
      mount.sigterm();
      boolean exited = mount.awaitExit(Duration.ofSeconds(STALL_AFTER_STOP_SECONDS));
      // The upstream answers again: what an unfixed mount still ran now runs into freed native memory.
      relay.refuse(false);
      relay.cutAll();
      if (!exited) {
        exited = mount.awaitExit(Duration.ofSeconds(EXIT_BOUND_SECONDS));
      }
      String output = mount.output();
      System.out.printf("%s: exit %s after %d ms%n", name, exited ? mount.exitValue() : "-",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNanos));
      assertThat(exited).as("%s: the mount exited after SIGTERM; its output:%n%s", name, output).isTrue();
      assertThat(output).as("%s: output of the mount", name).doesNotContain("SIGSEGV", "A fatal error has been detected");
      assertThat(hsErrFiles(mount.pid(), crashDir)).as("%s: hs_err files; output:%n%s", name, output).isEmpty();
      assertThat(mount.exitValue()).as("%s: exit status; output:%n%s", name, output).isEqualTo(EXIT_AFTER_SIGTERM);
      // The upstream did not answer within the stop: the open file's writes are lost, and the log says so.
      assertThat(output).as("%s: output of the mount", name).contains("held-" + name, "not committed");
      assertThat(awaitUnmounted(mnt)).as("%s: %s is still in /proc/mounts", name, mnt).isTrue();
      try (Stream<Path> left = Files.list(mnt)) {
        assertThat(left).as("%s: the bare mount point, readable (not 'Transport endpoint is not connected')", name)
            .isEmpty();
      }
      for (Blocked b : blocked) {
        assertThat(b.process().waitFor(EXIT_BOUND_SECONDS, TimeUnit.SECONDS)).as("%s: `%s` ended", name, b.what())
            .isTrue();
        assertThat(b.process().exitValue()).as("%s: `%s` failed", name, b.what()).isNotZero();
      }
    } finally {
      for (Blocked b : blocked) {
        b.process().destroyForcibly();
      }
      if (held != null) {
        try {
          held.close();
        } catch (IOException e) {
          // the mount is gone
        }
      }
      mount.close();
      relay.refuse(false);
      relay.cutAll();
      if (isMounted(mnt)) {
        new ProcessBuilder("fusermount3", "-u", "-z", mnt.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private ServerJvm startMount(Path mnt, Path config, Path crashDir, Path log) throws IOException {
    return ServerJvm.start(OutpostMain.class.getName(),
        List.of("-Xmx256m", "-XX:ErrorFile=" + crashDir.resolve("hs_err_pid%p.log"), "-XX:-CreateCoredumpOnCrash"),
        List.of("mount", relay.address(), mnt.toString(), "--config", config.toString(), "--token-file",
            tokenFile.toString(), "--key-file", origin.keyFile().toString(), "--stop-timeout",
            Long.toString(STOP_TIMEOUT_SECONDS)), log);
  }

  private static void awaitMounted(ServerJvm mount, Path mnt) throws Exception {
    for (int i = 0; i < 1200 && !Files.exists(mnt.resolve("data.bin")); i++) {
      assertThat(mount.isAlive()).as("mount ended early: %s", mount.output()).isTrue();
      Thread.sleep(50);
    }
    assertThat(Files.exists(mnt.resolve("data.bin"))).as("mounted within 60 s: %s", mount.output()).isTrue();
  }

  /** A program run inside the mount. */
  private record Blocked(String what, Process process) {}

  private static Blocked start(String... cmd) throws IOException {
    return new Blocked(String.join(" ", cmd),
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
  }

  /** Waits until the program sleeps in the kernel waiting for a FUSE answer ({@code /proc/PID/wchan}). */
  private static void awaitBlockedInFuse(Blocked b) throws Exception {
    Process p = b.process();
    Path wchan = Path.of("/proc", Long.toString(p.pid()), "wchan");
    String last = "";
    for (int i = 0; i < 600; i++) {
      assertThat(p.isAlive()).as("`%s` is blocked in the mount, not done (exit %s)", b.what(),
          p.isAlive() ? "" : p.exitValue()).isTrue();
      try {
        last = Files.readString(wchan);
      } catch (IOException e) {
        last = e.toString();
      }
      if (last.contains("fuse") || last.contains("request_wait_answer")) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("`" + b.what() + "` not blocked in FUSE after 30 s (wchan " + last + ")");
  }

  /** hs_err files of {@code pid}: where -XX:ErrorFile points, and where the JVM falls back (its cwd, /tmp). */
  private static List<Path> hsErrFiles(long pid, Path crashDir) throws IOException {
    Path cwd = Path.of("").toAbsolutePath();
    List<Path> found = new ArrayList<>();
    try (Stream<Path> s = Files.list(crashDir)) {
      s.forEach(found::add);
    }
    for (Path d : List.of(cwd, Path.of(System.getProperty("java.io.tmpdir")), Path.of("/tmp"))) {
      Path f = d.resolve("hs_err_pid" + pid + ".log");
      if (Files.exists(f)) {
        found.add(f);
      }
    }
    return found;
  }

  /** The mount leaves /proc/mounts (the kernel's table; it drops a lazily detached mount at once). */
  private static boolean awaitUnmounted(Path mnt) throws Exception {
    for (int i = 0; i < 100 && isMounted(mnt); i++) {
      Thread.sleep(100);
    }
    return !isMounted(mnt);
  }

  private static boolean isMounted(Path mnt) throws IOException {
    String at = mnt.toString();
    return Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" "))
        .anyMatch(f -> f.length > 1 && f[1].equals(at));
  }
}
