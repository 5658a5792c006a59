package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.crypto.AccessToken;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.transport.Relay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases between two clients of a real origin, alice and bob (each its own connection, so its own party): an
 * exclusive lease keeps the other writer off, a lapsed one fences its holder's late writes, release and recall
 * hand the path over. Nothing waits for a fixed time: a lapse is awaited by retrying the other party's acquire.
 */
@Timeout(120)
class LeaseTest {
  private static final Duration LONG = Duration.ofSeconds(60);
  @RegisterExtension
  static final LeakReports leaks = new LeakReports();
  @TempDir
  Path dir;
  private EmbeddedOrigin origin;
  private OutpostClient alice;
  private OutpostClient bob;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() {
    origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
    alice = client("alice");
    bob = client("bob");
    alice.write("/doc", bytes("first"), WriteOptions.DEFAULTS);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    origin.close();
  }

  @Test
  void anExclusiveLeaseKeepsOtherWritersOffWhileItsHolderWrites() throws IOException {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
    assertThat(lease.path()).isEqualTo("/doc");
    assertThat(lease.mode()).isEqualTo(LeaseMode.EXCLUSIVE);
    assertThat(lease.token()).isPositive();
    assertThat(lease.expiresAtMillis()).isGreaterThan(alice.welcome().serverTimeMillis());

    assertThatThrownBy(() -> bob.write("/doc", bytes("bob"), WriteOptions.DEFAULTS))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
          assertThat(e.getMessage()).contains("/doc").contains("alice");
        });
    assertThatThrownBy(() -> bob.truncate("/doc", 1))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
    assertThatThrownBy(() -> bob.lease("/", LeaseMode.SHARED, true, LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT);
          assertThat(e.getMessage()).contains("held by alice");
        });

    alice.write("/doc", bytes("alice under her lease"), WriteOptions.DEFAULTS.withLease(lease));
    assertThat(read(bob, "/doc")).isEqualTo("alice under her lease");
    alice.truncate("/doc", 5, WriteOptions.DEFAULTS.withLease(lease));
    assertThat(read(bob, "/doc")).isEqualTo("alice");
    lease.close();
  }

  @Test
  void aLateWriteUnderALapsedLeaseIsFencedAndNotMerged() throws IOException, InterruptedException {
    Lease old = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ofMillis(300));
    old.renewAutomatically(false);
    alice.write("/doc", bytes("alice in time"), WriteOptions.DEFAULTS.withLease(old));
    // Alice starts a write and is cut off (here: stalls, renewing nothing) past her lease's expiry.
    FileWrite late = alice.openWrite("/doc", WriteOptions.DEFAULTS.withLease(old));
    late.write(bytes("alice, late"));

    Lease taken = acquireOnceLapsed(bob, "/doc");
    closeables.add(taken);
    assertThat(taken.token()).isGreaterThan(old.token());
    bob.write("/doc", bytes("bob's"), WriteOptions.DEFAULTS.withLease(taken));

    assertThatThrownBy(late::close).isInstanceOfSatisfying(OutpostException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.FENCED);
      assertThat(e.getMessage()).contains("lease token " + old.token() + " is not current");
    });
    assertThatThrownBy(() -> alice.write("/doc", bytes("alice again"), WriteOptions.DEFAULTS.withLease(old)))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    assertThatThrownBy(() -> old.renew(LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    assertThat(old.lost()).isPresent();
    assertThat(old.isHeld()).isFalse();
    old.close(); // lapsed: nothing to release, not an error
    assertThat(read(alice, "/doc")).isEqualTo("bob's");
  }

  @Test
  void releaseLetsAnotherPartyAcquireAtOnce() {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
    assertThatThrownBy(() -> bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));

    lease.close();
    lease.close(); // idempotent

    Lease bobs = bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
    closeables.add(bobs);
    bob.write("/doc", bytes("bob"), WriteOptions.DEFAULTS.withLease(bobs));
    assertThatThrownBy(() -> lease.renew(LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
  }

  @Test
  void aRecallReachesTheHolderWhichCanHandThePathOver() throws InterruptedException, IOException {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, true, LONG);
    CountDownLatch handedOver = new CountDownLatch(1);
    lease.onRecall(() -> {
      alice.write("/doc", bytes("alice's last words"), WriteOptions.DEFAULTS.withLease(lease));
      lease.close();
      handedOver.countDown();
    });
    assertThat(lease.recalled()).isFalse();

    assertThatThrownBy(() -> bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));

    assertThat(handedOver.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(lease.recalled()).isTrue();
    Lease bobs = bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
    closeables.add(bobs);
    assertThat(read(bob, "/doc")).isEqualTo("alice's last words");
    // A listener registered after the recall hears it too.
    CountDownLatch late = new CountDownLatch(1);
    lease.onRecall(late::countDown);
    assertThat(late.await(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void renewExtendsTheLease() {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ofSeconds(30));
    closeables.add(lease);
    long before = lease.expiresAtMillis();
    assertThat(lease.renew(Duration.ofSeconds(90)).expiresAtMillis()).isGreaterThan(before);
    assertThatThrownBy(() -> alice.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ZERO))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void aLeaseOutlivesAReconnectionByItsTokenAndIsNotAcquiredAgain() throws IOException, InterruptedException {
    alice.write("/short", bytes("short"), WriteOptions.DEFAULTS);
    try (Relay lan = new Relay(origin.server().address().getPort())) {
      OutpostClient carol = OutpostClient.connect(ClientConfig.of(lan.address(),
          origin.token(AccessToken.Mode.RW, "carol"), origin.keyFile()).withParallelism(2)
          .withReconnect(new ClientConfig.Reconnect(20, 200)));
      closeables.add(carol);
      Lease held = carol.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
      Lease lapsing = carol.lease("/short", LeaseMode.EXCLUSIVE, false, Duration.ofMillis(300));
      lapsing.renewAutomatically(false);

      lan.cutAll();
      // The token, not the connection, is the lease: it still writes on the new connection while live.
      carol.write("/doc", bytes("carol after the cut"), WriteOptions.DEFAULTS.withLease(held));
      assertThat(carol.reconnects()).isPositive();
      assertThat(held.renew(LONG).token()).isEqualTo(held.token());

      // Carol does not renew the short one, nor is it re-acquired: it lapses, bob takes it, carol's late write is
      // fenced.
      Lease taken = acquireOnceLapsed(bob, "/short");
      closeables.add(taken);
      assertThatThrownBy(() -> carol.write("/short", bytes("carol, late"), WriteOptions.DEFAULTS.withLease(lapsing)))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
      assertThat(read(bob, "/short")).isEqualTo("short");
      assertThat(read(bob, "/doc")).isEqualTo("carol after the cut");
      held.close();
    }
  }

  @Test
  void renewalsKeepALeaseAlivePastSeveralTtls() throws Exception {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ofSeconds(1));
    closeables.add(lease);
    long renewsBefore = origin.server().metrics().registry().timer("outpost.origin.ops.lease_renew").getCount();
    // Four ttls; bob is refused every time he asks.
    long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    while (System.nanoTime() < end) {
      assertThatThrownBy(() -> bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
      Thread.sleep(250);
    }
    alice.write("/doc", bytes("still alice's"), WriteOptions.DEFAULTS.withLease(lease));
    assertThat(lease.isHeld()).isTrue();
    assertThat(lease.unverifiableSince()).isEmpty();
    assertThat(origin.server().metrics().registry().timer("outpost.origin.ops.lease_renew").getCount() - renewsBefore)
        .isGreaterThanOrEqualTo(4);
  }

  @Test
  void aLeaseCutOffFromTheOriginIsReportedUnverifiableThenLostAndNeverAcquiredAgain() throws Exception {
    try (Relay lan = new Relay(origin.server().address().getPort())) {
      OutpostClient carol = OutpostClient.connect(ClientConfig.of(lan.address(),
          origin.token(AccessToken.Mode.RW, "carol"), origin.keyFile()).withParallelism(2)
          .withReconnect(new ClientConfig.Reconnect(20, 200)));
      closeables.add(carol);
      Lease lease = carol.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ofSeconds(1));
      java.util.concurrent.CompletableFuture<java.time.Instant> unverifiable = new java.util.concurrent.CompletableFuture<>();
      java.util.concurrent.CompletableFuture<OutpostException> lost = new java.util.concurrent.CompletableFuture<>();
      lease.onUnverifiable(unverifiable::complete);
      lease.onLost(lost::complete);
      java.time.Instant before = java.time.Instant.now();

      lan.refuse(true);
      lan.cutAll();
      java.time.Instant since = unverifiable.get(30, TimeUnit.SECONDS);
      assertThat(since).isAfterOrEqualTo(before.minusSeconds(2)).isBeforeOrEqualTo(java.time.Instant.now());
      OutpostException why = lost.get(30, TimeUnit.SECONDS);
      assertThat(why.code()).isEqualTo(ErrorCode.FENCED);
      assertThat(why.getMessage()).contains("lapsed: no renewal reached the origin since");
      assertThat(lease.isHeld()).isFalse();
      assertThat(lease.unverifiableSince()).isEmpty();

      Lease bobs = acquireOnceLapsed(bob, "/doc");
      closeables.add(bobs);
      lan.refuse(false);
      // Back on the link, carol's lease stays lost: not renewed, not acquired again; her token is fenced.
      assertThatThrownBy(() -> lease.renew(LONG))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
      assertThatThrownBy(() -> carol.write("/doc", bytes("carol, late"), WriteOptions.DEFAULTS.withLease(lease)))
          .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
      assertThat(carol.leases("/").leases()).extracting(dev.outpost.protocol.LeaseInfo::token)
          .containsExactly(bobs.token());
    }
  }

  @Test
  void aRenewalRefusedFencedLosesTheLeaseAndTellsTheListener() throws Exception {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, Duration.ofMillis(300));
    lease.renewAutomatically(false);
    java.util.concurrent.CompletableFuture<OutpostException> lost = new java.util.concurrent.CompletableFuture<>();
    lease.onLost(lost::complete);
    Lease bobs = acquireOnceLapsed(bob, "/doc");
    closeables.add(bobs);
    lease.renewAutomatically(true);
    assertThat(lost.get(30, TimeUnit.SECONDS).code()).isEqualTo(ErrorCode.FENCED);
    assertThat(lease.lost()).isPresent();
  }

  @Test
  void aWaitingAcquireGetsTheLeaseOnceTheRecalledHolderReleasesIt() {
    Lease lease = alice.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG);
    lease.onRecall(lease::close);
    Lease bobs = bob.lease("/doc", LeaseMode.EXCLUSIVE, false, LONG, Duration.ofSeconds(30), () -> false);
    closeables.add(bobs);
    assertThat(bobs.token()).isGreaterThan(lease.token());
    // Without a wait, or when told to give up, a conflict fails at once.
    assertThatThrownBy(() -> alice.lease("/doc", LeaseMode.SHARED, false, LONG, Duration.ZERO, () -> false))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
    assertThatThrownBy(() -> alice.lease("/doc", LeaseMode.SHARED, false, LONG, LONG, () -> true))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_CONFLICT));
  }

  @Test
  void namespaceChangesCarryTheLeaseTokenAndAreFencedOnceItIsTakenOver() throws Exception {
    alice.mkdir("/d", false);
    Lease lease = alice.lease("/d", LeaseMode.EXCLUSIVE, true, Duration.ofMillis(300));
    lease.renewAutomatically(false);
    long t = lease.token();
    alice.mkdir("/d/sub", false, t);
    alice.symlink("/d/l", "sub", t);
    alice.chmod("/d/sub", 0700, t);
    alice.utimes("/d/sub", 1000, t);
    alice.mv("/d/l", "/d/l2", t);
    alice.rm("/d/l2", false, t);
    alice.write("/d/f", bytes("new file"), WriteOptions.DEFAULTS.withLease(lease));

    Lease bobs = acquireOnceLapsed(bob, "/d");
    closeables.add(bobs);
    for (ThrowingCall c : List.<ThrowingCall>of(() -> alice.mkdir("/d/x", false, t), () -> alice.symlink("/d/y", "f", t),
        () -> alice.chmod("/d/f", 0600, t), () -> alice.utimes("/d/f", 5, t), () -> alice.mv("/d/f", "/d/g", t),
        () -> alice.rm("/d/f", false, t), () -> alice.rm("/d/sub", false, t),
        () -> alice.write("/d/h", bytes("new"), WriteOptions.DEFAULTS.withLease(lease)))) {
      assertThatThrownBy(c::run).isInstanceOfSatisfying(OutpostException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.FENCED));
    }
    assertThat(bob.list("/d")).extracting(dev.outpost.protocol.DirEntry::name).containsExactly("f", "sub");
    assertThat(read(bob, "/d/f")).isEqualTo("new file");
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  /** Retries {@code client}'s exclusive acquire until the holder's lease lapses (the test timeout bounds it). */
  private static Lease acquireOnceLapsed(OutpostClient client, String path) throws InterruptedException {
    while (true) {
      try {
        return client.lease(path, LeaseMode.EXCLUSIVE, false, LONG);
      } catch (OutpostException e) {
        if (e.code() != ErrorCode.LEASE_CONFLICT) {
          throw e;
        }
        Thread.sleep(20);
      }
    }
  }

  private OutpostClient client(String subject) {
    OutpostClient c = OutpostClient.connect(ClientConfig.of(origin.address(), origin.token(AccessToken.Mode.RW, subject),
        origin.keyFile()).withParallelism(2));
    closeables.add(c);
    return c;
  }

  private static String read(OutpostClient client, String path) throws IOException {
    try (InputStream in = client.openRead(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
