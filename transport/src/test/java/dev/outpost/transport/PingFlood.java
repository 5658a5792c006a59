package dev.outpost.transport;

import dev.outpost.protocol.Frame;
import dev.outpost.protocol.Ping;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request flood of issue 11: a peer with a valid token completes the handshake, then sends PING frames in a
 * loop and never reads a reply. {@link #measure} meanwhile runs another client's probe (e.g. a listing) four
 * times a second and samples the server JVM's RSS. {@link #close} stops the flood.
 */
public final class PingFlood implements AutoCloseable {
  /** Pings per write: one batch is 2,048 frames (48 KiB). */
  private static final int BATCH = 2048;
  /** The flood duration of issue 11, unless {@code -Doutpost.flood.seconds=N} says otherwise. */
  public static final Duration DURATION = Duration.ofSeconds(Long.getLong("outpost.flood.seconds", 60));

  private final RawPeer peer;
  private final Thread writer;
  private final AtomicLong bytesSent = new AtomicLong();
  private volatile IOException stoppedBy;

  /**
   * What {@link #measure} saw.
   *
   * @param baselineRssBytes the server's RSS just before the measurement
   * @param peakRssBytes the largest RSS sampled during it
   * @param probes probes run
   * @param slowestProbeMillis the slowest probe
   * @param failedProbes probes that threw or took longer than a second, with the second of the run they started in
   * @param pingBytesSent bytes of PING frames the server accepted from the flood so far
   */
  public record Result(long baselineRssBytes, long peakRssBytes, int probes, long slowestProbeMillis,
      List<String> failedProbes, long pingBytesSent) {
    public long rssGrowthBytes() {
      return peakRssBytes - baselineRssBytes;
    }

    @Override
    public String toString() {
      return String.format("RSS %d -> peak %d MiB (+%d MiB); %d probes, slowest %d ms, %d failed %s; %d MiB of PING sent",
          baselineRssBytes >> 20, peakRssBytes >> 20, rssGrowthBytes() >> 20, probes, slowestProbeMillis,
          failedProbes.size(), failedProbes.size() > 10 ? failedProbes.subList(0, 10) + "..." : failedProbes,
          pingBytesSent >> 20);
    }
  }

  private PingFlood(RawPeer peer) {
    this.peer = peer;
    this.writer = Thread.ofPlatform().daemon().name("ping-flood").unstarted(this::flood);
  }

  /** Connects (plain TCP), sends HELLO with {@code token}, reads WELCOME, then floods from a thread of its own. */
  public static PingFlood start(InetSocketAddress server, String token) throws IOException {
    RawPeer peer = RawPeer.plain(server);
    peer.hello(token);
    PingFlood f = new PingFlood(peer);
    f.writer.start();
    return f;
  }

  private void flood() {
    List<Frame> frames = new ArrayList<>(BATCH);
    for (int i = 1; i <= BATCH; i++) {
      frames.add(Frame.of(i, new Ping(i)));
    }
    byte[] batch = RawPeer.encode(frames);
    try {
      while (!Thread.currentThread().isInterrupted()) {
        peer.write(batch); // blocks once the server stops reading: that is the point
        bytesSent.addAndGet(batch.length);
      }
    } catch (IOException e) {
      stoppedBy = e;
    }
  }

  public long bytesSent() {
    return bytesSent.get();
  }

  /** Why the flood stopped before {@link #close}, if it did (e.g. the server closed the connection). */
  public IOException stoppedBy() {
    return stoppedBy;
  }

  /** Runs {@code probe} every 250 ms for {@code duration}, sampling {@code server}'s RSS every 500 ms. */
  public Result measure(ServerJvm server, Duration duration, Callable<?> probe) throws IOException, InterruptedException {
    long baseline = server.rssBytes();
    long peak = baseline;
    int probes = 0;
    long slowest = 0;
    List<String> failed = new ArrayList<>();
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long nextSample = start;
    while (System.nanoTime() < end) {
      long t0 = System.nanoTime();
      String failure = null;
      try {
        probe.call();
      } catch (Exception e) {
        failure = e.toString();
      }
      long millis = (System.nanoTime() - t0) / 1_000_000;
      probes++;
      slowest = Math.max(slowest, millis);
      if (failure != null || millis > 1000) {
        failed.add("s" + (t0 - start) / 1_000_000_000 + ": " + millis + " ms" + (failure == null ? "" : " " + failure));
      }
      if (System.nanoTime() >= nextSample) {
        if (!server.isAlive()) {
          failed.add("s" + (t0 - start) / 1_000_000_000 + ": the server exited");
          break;
        }
        peak = Math.max(peak, server.rssBytes());
        nextSample = System.nanoTime() + 500_000_000L;
      }
      Thread.sleep(250);
    }
    if (server.isAlive()) {
      peak = Math.max(peak, server.rssBytes());
    }
    return new Result(baseline, peak, probes, slowest, failed, bytesSent.get());
  }

  @Override
  public void close() throws InterruptedException {
    writer.interrupt();
    peer.close();
    writer.join(10_000);
  }
}
