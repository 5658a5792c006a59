package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.origin.metrics.OriginMetrics;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileAttr;
import dev.outpost.protocol.FileType;
import dev.outpost.transport.Relay;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client across lost connections: an origin restarted on the same port, and a relay standing in for the LAN
 * that drops connections while answers are known to be outstanding. No test waits for a fixed time to pass:
 * each waits for an observable state, bounded by the class timeout.
 */
@Timeout(120)
class ReconnectTest {
  /** The heartbeat timeout a client has unless its config sets one. */
  private static final long DEFAULT_HEARTBEAT_TIMEOUT_MILLIS = 6_000;
  /** Requests failed, retried and abandoned midway must still release every buffer. */
  @RegisterExtension
  static final LeakReports leaks = new LeakReports();
  @TempDir
  Path dir;
  private RestartableOrigin origin;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final ExecutorService background = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "reconnect-test");
    t.setDaemon(true);
    return t;
  });

  @BeforeEach
  void startOrigin() {
    origin = RestartableOrigin.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables.reversed()) {
      c.close();
    }
    background.shutdownNow();
    origin.close();
  }

  @Test
  void aClientSurvivesAnOriginRestart() throws IOException {
    OutpostClient client = client(origin.config());
    byte[] data = random(1, 700_000);
    client.mkdir("/d", false);
    client.write("/d/f", data, WriteOptions.DEFAULTS);

    origin.restart();

    assertThat(client.stat("/d/f").size()).isEqualTo(data.length);
    assertThat(client.list("/d")).extracting(DirEntry::name).containsExactly("f");
    try (InputStream in = client.openRead("/d/f")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    client.write("/d/g", random(2, 5000), WriteOptions.DEFAULTS);
    assertThat(client.open("/d/g").read(100, new byte[10], 0, 10)).isEqualTo(10);
    assertThat(client.reconnects()).isEqualTo(1);
  }

  @Test
  void aSequentialReadInProgressCompletesAcrossARestart() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()).withReadAheadBytes(256 << 10));
    byte[] data = random(3, 8 << 20);
    client.write("/big", data, WriteOptions.DEFAULTS);
    InputStream in = client.openRead("/big");
    byte[] head = in.readNBytes(1 << 20);
    assertThat(head).isEqualTo(Arrays.copyOf(data, 1 << 20));

    // The rest is read while the server's answers are held back: some GET_BLOCKS are surely unanswered when the
    // connection drops and the origin restarts. New connections are refused until it is back, so the drop
    // happens exactly once.
    lan.holdReplies();
    Future<byte[]> rest = background.submit(() -> readRest(in));
    await(() -> lan.heldBytes() > 0);
    lan.refuse(true);
    lan.cutAll();
    origin.restart();
    lan.refuse(false);

    assertThat(rest.get()).isEqualTo(Arrays.copyOfRange(data, 1 << 20, data.length));
    assertThat(client.reconnects()).isPositive();
  }

  @Test
  void anUploadInProgressCompletesAcrossADroppedConnection() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    byte[] data = random(4, 3 << 20);
    FileWrite w = client.openWrite("/upload", WriteOptions.DEFAULTS);
    lan.holdReplies();
    // HAS_BLOCKS and PUT_BLOCK go out, their answers are held; the commit waits for them.
    Future<WriteReport> done = background.submit(() -> {
      w.write(data);
      w.close();
      return w.report();
    });
    await(() -> lan.heldBytes() > 0);
    lan.cutAll();

    assertThat(done.get().attr().size()).isEqualTo(data.length);
    try (InputStream in = client.openRead("/upload")) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void aWatchStartedBeforeARestartReceivesChangesMadeAfterItOnceEach() throws Exception {
    Relay lan = relay();
    OutpostClient watcher = client(origin.config(lan.address()));
    OutpostClient writer = client(origin.config());
    BlockingQueue<String> heard = new LinkedBlockingQueue<>();
    Watch watch = watcher.watch("/", watcher.welcome().journalSeq(), new ChangeListener() {
      @Override
      public void onStart(long currentSeq) {
        heard.add("start");
      }

      @Override
      public void onChange(ChangeEvent event) {
        heard.add(event.kind() + " " + event.path());
      }

      @Override
      public void onSuspended(OutpostException cause) {
        heard.add("suspended");
      }

      @Override
      public void onResync(long currentSeq) {
        heard.add("resync");
      }

      @Override
      public void onError(OutpostException error) {
        heard.add("error " + error);
      }
    });
    closeables.add(watch);
    assertThat(next(heard)).isEqualTo("start");
    writer.mkdir("/before", false);
    assertThat(next(heard)).isEqualTo("CREATED /before");

    // The watcher stays cut off while the origin restarts and a change is made: that one must be replayed.
    lan.refuse(true);
    origin.restart();
    assertThat(next(heard)).isEqualTo("suspended");
    writer.mkdir("/during", false);
    lan.refuse(false);
    assertThat(next(heard)).isEqualTo("start");
    assertThat(next(heard)).isEqualTo("CREATED /during");

    writer.mkdir("/after", false);
    writer.mkdir("/last", false);
    assertThat(next(heard)).isEqualTo("CREATED /after");
    assertThat(next(heard)).isEqualTo("CREATED /last");
    assertThat(heard).isEmpty();
  }

  @Test
  void aServerThatFallsSilentIsNoticedWithinTheHeartbeatTimeout() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    BlockingQueue<String> heard = new LinkedBlockingQueue<>();
    closeables.add(client.watch("/", client.welcome().journalSeq(), new ChangeListener() {
      @Override
      public void onStart(long currentSeq) {
        heard.add("start");
      }

      @Override
      public void onChange(ChangeEvent event) {
        heard.add(event.kind() + " " + event.path());
      }

      @Override
      public void onSuspended(OutpostException cause) {
        heard.add("suspended");
      }
    }));
    assertThat(next(heard)).isEqualTo("start");

    // The proxy (or origin) vanishes without a FIN: nothing is closed, nothing answers. Only a heartbeat can
    // tell; TCP would wait for many minutes. A generous bound over the default 6 s timeout.
    lan.silence(true);
    assertThat(heard.poll(DEFAULT_HEARTBEAT_TIMEOUT_MILLIS + 2_000, TimeUnit.MILLISECONDS))
        .as("the watch learns the connection is gone").isEqualTo("suspended");

    lan.silence(false);
    assertThat(next(heard)).isEqualTo("start");
    client.mkdir("/heard", false);
    assertThat(next(heard)).isEqualTo("CREATED /heard");
  }

  @Test
  void aCommitWhoseAnswerIsLostIsSentAgainWithItsIdAndAppliedOnce() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    client.write("/c", random(5, 1000), WriteOptions.DEFAULTS);
    FileAttr before = client.stat("/c");
    long seqBefore = origin.server().volume().currentSeq();
    // Nothing written: closing commits an empty version, and the COMMIT is the only request left to send.
    FileWrite w = client.openWrite("/c", WriteOptions.DEFAULTS);
    lan.holdReplies();
    Future<?> commit = background.submit(w::close);
    await(() -> lan.heldBytes() > 0); // the origin has applied the commit and answered; the answer is held back
    lan.cutAll();

    commit.get(); // sent again on the next connection: answered from the origin's record
    assertThat(w.report().attr().version()).isEqualTo(before.version() + 1);
    FileAttr after = client.stat("/c");
    assertThat(after).isEqualTo(w.report().attr());
    assertThat(after.size()).isZero();
    // Applied once: one new version, one journal entry; the resend was answered from the record.
    assertThat(origin.server().volume().journalAfter(seqBefore, "/", 100)).hasSize(1);
    assertThat(origin.server().metrics().count(OriginMetrics.DUPLICATES)).isEqualTo(1);
    assertThat(client.reconnects()).isEqualTo(1);
  }

  @Test
  void namespaceChangesWhoseAnswersAreLostAreSentAgainAndAppliedOnce() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    client.mkdir("/n", false);
    client.write("/n/a", random(6, 100), WriteOptions.DEFAULTS);
    long seqBefore = origin.server().volume().currentSeq();
    // Applied twice, these would fail ALREADY_EXISTS, NOT_FOUND, ALREADY_EXISTS, or add a second event.
    List<java.util.concurrent.Callable<?>> changes = List.of(
        () -> client.mkdir("/n/d", false),
        () -> {
          client.mv("/n/a", "/n/b");
          return null;
        },
        () -> client.symlink("/n/l", "b"),
        () -> client.chmod("/n/b", 0600));
    for (java.util.concurrent.Callable<?> change : changes) {
      int connections = lan.accepted();
      lan.holdReplies();
      Future<?> done = background.submit(change);
      await(() -> lan.heldBytes() > 0);
      lan.cutAll();
      done.get();
      assertThat(lan.accepted()).isGreaterThan(connections);
    }
    assertThat(client.stat("/n/d").type()).isEqualTo(FileType.DIRECTORY);
    assertThat(client.list("/n")).extracting(DirEntry::name).containsExactly("b", "d", "l");
    assertThat(client.stat("/n/b").mode()).isEqualTo(0600);
    assertThat(origin.server().volume().journalAfter(seqBefore, "/", 100)).hasSize(changes.size());
    assertThat(origin.server().metrics().count(OriginMetrics.DUPLICATES)).isEqualTo(changes.size());
  }

  @Test
  void aNamespaceChangeAskedWhileDisconnectedIsSentOnceTheConnectionIsBack() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    lan.refuse(true);
    int attempts = lan.accepted();
    lan.cutAll();
    await(() -> lan.accepted() > attempts); // the client noticed and is reconnecting
    Future<FileAttr> mkdir = background.submit(() -> client.mkdir("/late", false));
    lan.refuse(false);
    assertThat(mkdir.get().type()).isEqualTo(FileType.DIRECTORY);
    assertThat(client.stat("/late").type()).isEqualTo(FileType.DIRECTORY);
  }

  @Test
  void aCallWhileTheServerStaysDownFailsUnavailableWithinTheTimeout() {
    OutpostClient client = client(origin.config().withConnectTimeout(Duration.ofSeconds(2)));
    assertThat(client.stat("/").type()).isEqualTo(FileType.DIRECTORY);
    origin.stop();

    assertThatThrownBy(() -> client.stat("/"))
        .isInstanceOfSatisfying(OutpostException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(e.getMessage()).contains(origin.address() + " is unreachable");
        });
    assertThatThrownBy(() -> client.mkdir("/never", false))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));

    origin.start();
    assertThat(client.stat("/").type()).isEqualTo(FileType.DIRECTORY);
    assertThat(client.statIfExists("/never")).isEmpty();
  }

  @Test
  void cancelCallsEndsACallStalledOnAServerThatDoesNotAnswerAndTheClientGoesOn() throws Exception {
    Relay lan = relay();
    OutpostClient client = client(origin.config(lan.address()));
    client.write("/s", random(6, 1000), WriteOptions.DEFAULTS);
    lan.holdReplies();
    Future<FileAttr> stat = background.submit(() -> client.stat("/s"));
    await(() -> lan.heldBytes() > 0); // answered by the origin, held back for ever

    client.cancelCalls("stop requested");

    assertCancelled(stat, "stop requested");
    lan.cutAll(); // the stall ends; the client reconnects and serves again
    assertThat(client.stat("/s").size()).isEqualTo(1000);
  }

  @Test
  void cancelCallsEndsACallWaitingForTheConnectionAndReconnectionGoesOn() throws Exception {
    Relay lan = relay();
    // Only the cancel can end this wait within the class timeout.
    OutpostClient client = client(origin.config(lan.address()).withConnectTimeout(Duration.ofMinutes(10)));
    lan.refuse(true);
    int attempts = lan.accepted();
    lan.cutAll();
    await(() -> lan.accepted() > attempts); // reconnecting, in vain
    java.util.concurrent.atomic.AtomicReference<Thread> caller = new java.util.concurrent.atomic.AtomicReference<>();
    Future<FileAttr> stat = background.submit(() -> {
      caller.set(Thread.currentThread());
      return client.stat("/");
    });
    await(() -> caller.get() != null && caller.get().getState() == Thread.State.WAITING); // parked on its call

    client.cancelCalls("stop requested");

    assertCancelled(stat, "stop requested");
    lan.refuse(false);
    assertThat(client.stat("/").type()).isEqualTo(FileType.DIRECTORY);
  }

  @Test
  void cancelCallsEndsAnUploadThatHasNothingLeftToSend() throws Exception {
    OutpostClient client = client(origin.config());
    java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
    // Zeros without end: after the first chunk every block is one the server has, so no request is in flight.
    InputStream zeros = new InputStream() {
      @Override
      public int read() {
        read.incrementAndGet();
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 0);
        read.addAndGet(len);
        return len;
      }
    };
    Future<WriteReport> write = background.submit(() -> client.write("/zeros", zeros, WriteOptions.DEFAULTS));
    await(() -> read.get() > 64 << 20);

    client.cancelCalls("stop requested");

    assertCancelled(write, "stop requested");
    assertThat(client.statIfExists("/zeros")).as("nothing committed").isEmpty();
  }

  private static void assertCancelled(Future<?> call, String why) {
    assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .satisfies(e -> assertThat(e.getCause()).isInstanceOfSatisfying(OutpostException.class, oe -> {
          assertThat(oe.code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(oe.getMessage()).contains(why);
        }));
  }

  @Test
  void closeDuringReconnectionReturnsPromptlyAndStopsReconnecting() throws Exception {
    Relay lan = relay();
    // A call would wait far longer than the class timeout for the connection: only close() can end it.
    OutpostClient client = OutpostClient.connect(origin.config(lan.address())
        .withConnectTimeout(Duration.ofMinutes(10)));
    Future<?> waiting;
    try {
      lan.refuse(true);
      int attempts = lan.accepted();
      lan.cutAll();
      await(() -> lan.accepted() > attempts + 1); // reconnecting, and failing
      waiting = background.submit(() -> client.stat("/"));
    } finally {
      client.close();
    }

    assertThatThrownBy(() -> unwrap(waiting))
        .isInstanceOfSatisfying(OutpostException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    int afterClose = lan.accepted();
    // With attempts every 200 ms at most, a link still reconnecting would connect several times in a second.
    Thread.sleep(1000);
    assertThat(lan.accepted()).isLessThanOrEqualTo(afterClose + 1);
  }

  // ---------------------------------------------------------------- helpers

  private OutpostClient client(ClientConfig config) {
    OutpostClient c = OutpostClient.connect(config);
    closeables.add(c);
    return c;
  }

  private Relay relay() throws IOException {
    Relay r = new Relay(origin.port());
    closeables.add(r);
    return r;
  }

  private static byte[] readRest(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String next(BlockingQueue<String> q) throws InterruptedException {
    String s = q.poll(30, TimeUnit.SECONDS);
    assertThat(s).as("next listener call").isNotNull();
    return s;
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    while (!condition.getAsBoolean()) {
      Thread.sleep(5);
    }
  }

  private static Object unwrap(Future<?> f) throws Exception {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
