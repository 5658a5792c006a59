package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Throughput of the library against a real origin in the same JVM on loopback (not a test: it prints figures).
 * Args: [fileMiB=512] [reads=3] [readAheadMiB=8]. See client/README.md for the command.
 */
public final class ClientBenchmark {
  private ClientBenchmark() {}

  public static void main(String[] args) throws Exception {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 512;
    int reads = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    long readAhead = (args.length > 2 ? Long.parseLong(args[2]) : 8) << 20;
    long size = mib << 20;
    Path dir = Files.createTempDirectory("outpost-bench");
    System.out.printf(Locale.ROOT, "cpus=%d file=%d MiB readAhead=%d MiB%n", Runtime.getRuntime().availableProcessors(),
        mib, readAhead >> 20);
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
        OutpostClient client = OutpostClient.connect(TestOrigins.config(origin)
            .withParallelism(Runtime.getRuntime().availableProcessors()).withReadAheadBytes(readAhead))) {
      long t0 = System.nanoTime();
      WriteReport w = client.write("/bench", new RandomStream(1, size), WriteOptions.DEFAULTS);
      double ws = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "write: %.1f MB/s (%d blocks, %d uploaded, %.1f MB sent)%n", size / ws / 1e6,
          w.blocksTotal(), w.blocksUploaded(), w.bytesUploaded() / 1e6);
      long t1 = System.nanoTime();
      WriteReport again = client.write("/bench-copy", new RandomStream(1, size), WriteOptions.DEFAULTS);
      double ws2 = (System.nanoTime() - t1) / 1e9;
      System.out.printf(Locale.ROOT, "rewrite of identical content: %.1f MB/s, %d of %d blocks sent, dedup ratio %s%n",
          size / ws2 / 1e6, again.blocksUploaded(), again.blocksTotal(),
          again.bytesUploaded() == 0 ? "inf" : String.format(Locale.ROOT, "%.1f", again.dedupRatio()));
      byte[] buf = new byte[1 << 20];
      for (int i = 0; i < reads; i++) {
        long t = System.nanoTime();
        long n = 0;
        try (InputStream in = client.openRead("/bench")) {
          int k;
          while ((k = in.read(buf)) > 0) {
            n += k;
          }
        }
        double s = (System.nanoTime() - t) / 1e9;
        System.out.printf(Locale.ROOT, "sequential read %d: %.1f MB/s (%d bytes)%n", i + 1, n / s / 1e6, n);
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    OutputStream.nullOutputStream().close();
  }
}
