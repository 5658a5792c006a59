package dev.outpost.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.codahale.metrics.Timer;
import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.server.OriginDataDir;
import dev.outpost.proxy.config.ProxyConfigLoader;
import dev.outpost.proxy.server.ProxyServer;
import dev.outpost.proxy.upstream.LinkState;
import dev.outpost.transport.Relay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * flock(2) and fcntl(2) locks on real mounts, backed by leases at a real origin: mount A at a branch proxy whose
 * link to the origin goes through a relay the test can cut, mount B straight at the origin, and real programs
 * (flock(1), python3's fcntl) taking the locks. Nothing waits for a fixed time: every wait is for a condition,
 * bounded by the test's timeout or a program's own {@code -w}.
 */
@Timeout(180)
class LockMountTest {
  private static final String HOLD = """
      import fcntl, os, sys, time
      path, marker, go, kind = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
      f = open(path, 'r+')
      if kind == 'flock':
          fcntl.flock(f, fcntl.LOCK_EX)
      else:
          fcntl.lockf(f, fcntl.LOCK_EX)
      open(marker, 'w').write('held')
      while not os.path.exists(go):
          time.sleep(0.02)
      try:
          f.write('A late')
          f.flush()
          os.fsync(f.fileno())
          print('written')
      except OSError as e:
          print('errno', e.errno)
      """;

  @TempDir
  Path tmp;
  EmbeddedOrigin origin;
  Relay wan;
  ProxyServer proxy;
  final List<AutoCloseable> closeables = new ArrayList<>();
  final List<Process> processes = new ArrayList<>();
  Path a;
  Path b;

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: FUSE tests skipped");
    assumeTrue(Files.isReadable(MountOptions.DEFAULT_LIBFUSE), "libfuse3 not installed: FUSE tests skipped");
    assumeTrue(MountFixture.installed("flock") && MountFixture.installed("python3"), "flock(1) or python3 missing");
    origin = EmbeddedOrigin.start(Files.createDirectories(tmp.resolve("origin")), TestOrigins.VOLUME);
    wan = new Relay(origin.server().address().getPort());
    Files.writeString(tmp.resolve("proxy.token"), origin.token(AccessToken.Mode.RO, "branch-proxy"));
    Path proxyConfig = tmp.resolve("proxy.yaml");
    Files.writeString(proxyConfig, "volume: " + TestOrigins.VOLUME + "\n"
        + "listen:\n  host: 127.0.0.1\n  port: 0\n"
        + "origin:\n  host: 127.0.0.1\n  port: " + wan.port() + "\n"
        + "tokenFile: proxy.token\n"
        + "originPublicKeyFile: \"" + new OriginDataDir(origin.dataDir()).signingPublicKey() + "\"\n"
        + "cache:\n  dir: cache\n  maxBytes: 64MiB\n"
        + "reconnect:\n  initialMillis: 50\n  maxMillis: 300\n"
        + "disconnected:\n  graceMillis: 100\n");
    proxy = ProxyServer.start(ProxyConfigLoader.load(proxyConfig), Clock.systemUTC());
  }

  /** Mounts at the proxy (A) or the origin (B) with {@code lockTtl}. */
  Path mount(String name, boolean viaProxy, Duration lockTtl, boolean readOnly) throws Exception {
    String server = viaProxy ? "127.0.0.1:" + proxy.address().getPort() : origin.address();
    OutpostClient c = OutpostClient.connect(ClientConfig.of(server, origin.token(AccessToken.Mode.RW, name),
        origin.keyFile()).withParallelism(2).withReconnect(new ClientConfig.Reconnect(50, 300)));
    closeables.add(c);
    OutpostMount m = OutpostMount.mount(c, Files.createDirectories(tmp.resolve("mnt-" + name)),
        MountOptions.DEFAULTS.withSpoolDir(tmp.resolve("spool-" + name)).withLockTtl(lockTtl)
            .withLockWait(Duration.ofSeconds(30)).withReadOnly(readOnly));
    closeables.add(m);
    return m.mountPoint();
  }

  @AfterEach
  void stop() throws Exception {
    processes.forEach(Process::destroyForcibly);
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (wan != null) {
      wan.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Test
  void flockAndFcntlExcludeBetweenAMountAtABranchAndOneAtTheOrigin() throws Exception {
    a = mount("alice", true, Duration.ofSeconds(30), false);
    b = mount("bob", false, Duration.ofSeconds(30), false);
    sh(a, "echo first > f");
    Path marker = tmp.resolve("held");
    Process holder = hold(a.resolve("f"), marker, tmp.resolve("never"), "flock");
    awaitFile(marker);

    // Held at the branch: the origin's mount is refused at once, by flock and by fcntl, shared or exclusive.
    assertThat(run(b, "flock -n f true").exitCode()).isEqualTo(1);
    assertThat(run(b, "flock -s -n f true").exitCode()).isEqualTo(1);
    assertThat(run(b, "python3 -c \"import fcntl, errno\ntry:\n  fcntl.lockf(open('f','r+'), fcntl.LOCK_EX"
        + " | fcntl.LOCK_NB)\n  print('granted')\nexcept OSError as e:\n  print(errno.errorcode[e.errno])\"").output())
        .isEqualTo("EAGAIN\n");
    // F_GETLK names a write lock held elsewhere (pid 0: not a process of this machine), over the whole file.
    assertThat(run(b, "python3 -c \"import fcntl, struct\nf = open('f','r+')\nr = fcntl.fcntl(f, fcntl.F_GETLK,"
        + " struct.pack('hhqqi', fcntl.F_WRLCK, 0, 10, 5, 0))\nprint(struct.unpack('hhqqi', r))\"").output())
        .isEqualTo("(1, 0, 0, 0, 0)\n");

    // A waiting lock ends when its caller is signalled: flock -w 1 (SIGALRM) gives up long before the mount's
    // 30 s lock wait would.
    long waited = System.nanoTime();
    assertThat(run(b, "flock -w 1 f true").exitCode()).isEqualTo(1);
    assertThat(System.nanoTime() - waited).as("ended by the signal").isLessThan(TimeUnit.SECONDS.toNanos(20));

    holder.destroy();
    holder.waitFor(20, TimeUnit.SECONDS);
    // The branch keeps its lease after the unlock; bob's wait recalls it, and alice's mount hands it over.
    assertThat(run(b, "flock -w 20 f -c 'echo bob > f'").exitCode()).isZero();
    assertThat(run(a, "flock -n f true").exitCode()).as("bob's mount keeps the lease after use").isEqualTo(1);
    assertThat(run(a, "flock -w 20 f cat f").output()).isEqualTo("bob\n");
  }

  @Test
  void lazyReleaseCosts0RoundTripsFor100LockUnlockCycles() throws Exception {
    b = mount("bob", false, Duration.ofSeconds(300), false);
    sh(b, "echo x > f");
    Path ready = tmp.resolve("ready");
    Path go = tmp.resolve("go");
    Path done = tmp.resolve("done");
    Process p = start(b, "python3", "-c", """
        import fcntl, os, sys, time
        f = open('f', 'r+')
        fcntl.flock(f, fcntl.LOCK_EX); fcntl.flock(f, fcntl.LOCK_UN)
        fcntl.lockf(f, fcntl.LOCK_EX); fcntl.lockf(f, fcntl.LOCK_UN)
        open(sys.argv[1], 'w').write('1')
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.02)
        for i in range(100):
            fcntl.flock(f, fcntl.LOCK_EX); fcntl.flock(f, fcntl.LOCK_UN)
        for i in range(100):
            fcntl.lockf(f, fcntl.LOCK_SH); fcntl.lockf(f, fcntl.LOCK_UN)
        open(sys.argv[3], 'w').write('1')
        """, ready.toString(), go.toString(), done.toString());
    awaitFile(ready);
    Map<String, Long> before = originOps();
    Files.writeString(go, "go");
    awaitFile(done);
    Map<String, Long> after = originOps();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    long leaseRequests = 0;
    long all = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      all += d;
      if (e.getKey().contains("lease")) {
        leaseRequests += d;
      }
    }
    System.out.println("200 lock/unlock cycles (100 flock, 100 fcntl) after the first: " + leaseRequests
        + " lease requests, " + all + " requests of any kind at the origin");
    assertThat(leaseRequests).isZero();
  }

  @Test
  void aRecallIsHonouredOnceTheHoldersPendingWritesAreCommitted() throws Exception {
    a = mount("alice", true, Duration.ofSeconds(30), false);
    b = mount("bob", false, Duration.ofSeconds(30), false);
    sh(a, "echo old > f");
    Path marker = tmp.resolve("unlocked");
    // Alice writes under the lock, unlocks, and keeps the file open: her write is still only in her mount's spool.
    start(a, "python3", "-c", """
        import fcntl, sys, time
        f = open('f', 'r+')
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write('alice, pending\\n'); f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)
        open(sys.argv[1], 'w').write('1')
        time.sleep(60)
        """, marker.toString());
    awaitFile(marker);
    assertThat(Files.readString(b.resolve("f"))).as("not committed yet").isEqualTo("old\n");
    // Bob's lock recalls alice's lease; her mount commits the pending write, then gives the lease back.
    assertThat(run(b, "flock -w 20 f cat f").output()).isEqualTo("alice, pending\n");
  }

  @Test
  void aHolderCutOffAndTakenOverGetsEioAndNothingItWritesLands() throws Exception {
    a = mount("alice", true, Duration.ofSeconds(2), false);
    b = mount("bob", false, Duration.ofSeconds(30), false);
    Path readOnly = mount("rita", false, Duration.ofSeconds(30), true);
    sh(a, "echo first > f; echo g > g");
    Path marker = tmp.resolve("held");
    Path go = tmp.resolve("go");
    Process holder = hold(a.resolve("f"), marker, go, "fcntl");
    awaitFile(marker);
    // Opened before the cut (a branch cut off from the origin cannot open what it does not hold yet).
    Path gOpen = tmp.resolve("g-open");
    Path gGo = tmp.resolve("g-go");
    Process offlineLocker = start(a, "python3", "-c", """
        import errno, fcntl, os, sys, time
        f = open('g', 'r+')
        open(sys.argv[1], 'w').write('1')
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.02)
        try:
            fcntl.flock(f, fcntl.LOCK_EX)
            print('granted')
        except OSError as e:
            print(errno.errorcode[e.errno])
        """, gOpen.toString(), gGo.toString());
    awaitFile(gOpen);

    wan.refuse(true);
    wan.cutAll();
    while (proxy.linkState() != LinkState.DISCONNECTED) {
      Thread.sleep(10);
    }
    // Cut off, the branch cannot grant a lock: a blocking flock fails at once rather than waiting (ENOLCK).
    Files.writeString(gGo, "go");
    assertThat(offlineLocker.waitFor(MountFixture.HANG_BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(offlineLocker.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("ENOLCK\n");
    // Alice's lease lapses at the origin; bob's waiting lock gets it (epoch + 1) and writes.
    assertThat(run(b, "flock -w 30 f -c 'echo bob wins > f'").exitCode()).isZero();
    assertThat(run(readOnly, "cat f").output()).as("the read-only mount sees bob's commit").isEqualTo("bob wins\n");
    assertThat(run(readOnly, "flock -s -n f true").exitCode()).as("a read-only mount's locks are its own").isZero();

    wan.refuse(false);
    while (proxy.linkState() != LinkState.CONNECTED) {
      Thread.sleep(10);
    }
    Files.writeString(go, "go");
    assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(holder.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("errno 5\n");
    assertThat(run(b, "cat f").output()).isEqualTo("bob wins\n");
  }

  @Test
  void aMountKeepsAtMost256UnusedLeases() throws Exception {
    b = mount("bob", false, Duration.ofSeconds(300), false);
    int files = MountLocks.MAX_IDLE_LEASES + 20;
    MountFixture.Result r = run(b, "python3 -c \"import fcntl\nfor i in range(" + files + "):\n  f = open('f%d' % i, 'w')"
        + "\n  fcntl.flock(f, fcntl.LOCK_EX)\n  fcntl.flock(f, fcntl.LOCK_UN)\n  f.close()\nprint('ok')\"");
    assertThat(r.output()).isEqualTo("ok\n");
    try (OutpostClient observer = TestOrigins.client(origin)) {
      // The least recently used beyond the bound are given back (on their own thread, so: eventually).
      while (observer.leases("/").leases().size() > MountLocks.MAX_IDLE_LEASES) {
        Thread.sleep(20);
      }
      assertThat(observer.leases("/").leases()).hasSize(MountLocks.MAX_IDLE_LEASES)
          .noneMatch(l -> l.path().equals("/f0"));
    }
  }

  // ---- helpers ----

  private Process hold(Path file, Path marker, Path go, String kind) throws IOException {
    return start(file.getParent(), "python3", "-c", HOLD, file.toString(), marker.toString(), go.toString(), kind);
  }

  private Process start(Path dir, String... command) throws IOException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    processes.add(p);
    return p;
  }

  private void sh(Path dir, String script) throws Exception {
    MountFixture.Result r = run(dir, script);
    assertThat(r.exitCode()).as("`%s`: %s", script, r.output()).isZero();
  }

  private MountFixture.Result run(Path dir, String script) throws Exception {
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("`" + script + "` did not finish within 60 s");
    }
    return new MountFixture.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  private static void awaitFile(Path p) throws InterruptedException {
    while (!Files.exists(p)) {
      Thread.sleep(10);
    }
  }

  /** Requests answered by the origin so far, per operation. */
  private Map<String, Long> originOps() {
    Map<String, Long> m = new java.util.TreeMap<>();
    for (Map.Entry<String, Timer> e : origin.server().metrics().registry().getTimers().entrySet()) {
      if (e.getKey().startsWith("outpost.origin.ops.")) {
        m.put(e.getKey(), e.getValue().getCount());
      }
    }
    return m;
  }
}
