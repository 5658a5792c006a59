package dev.outpost.client;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * What extending a file with zeros and editing a sparse file cost, against a real origin in the same JVM on
 * loopback (not a test: it prints figures). Args: [rounds=5] [holeReadMiB=2048]. See client/README.md.
 */
public final class SparseBenchmark {
  private static final long TIB = 1L << 40;

  private SparseBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    long holeRead = (args.length > 1 ? Long.parseLong(args[1]) : 2048) << 20;
    Path dir = Files.createTempDirectory("outpost-sparse-bench");
    System.out.printf(Locale.ROOT, "cpus=%d rounds=%d%n", Runtime.getRuntime().availableProcessors(), rounds);
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir, TestOrigins.VOLUME);
        OutpostClient client = OutpostClient.connect(TestOrigins.config(origin))) {
      byte[] head = new byte[100_000];
      new Random(1).nextBytes(head);
      for (int i = 0; i < rounds; i++) {
        String path = "/sparse-" + i;
        client.write(path, head, WriteOptions.DEFAULTS);
        long t0 = System.nanoTime();
        WriteReport r = client.truncate(path, TIB + i);
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf(Locale.ROOT, "truncate 100 kB -> 1 TiB + %d: %.1f ms, %d B uploaded in %d blocks, %d B chunked%n",
            i, ms, r.bytesUploaded(), r.blocksUploaded(), r.bytesRead());

        OutpostFile base = client.open(path);
        long middle = TIB / 2 + 12_345 * (i + 1);
        long t1 = System.nanoTime();
        FileWrite w = client.openWrite(path, WriteOptions.DEFAULTS);
        w.append(base, 0, middle);
        w.write('X');
        w.append(base, middle + 1, base.size());
        w.close();
        double editMs = (System.nanoTime() - t1) / 1e6;
        System.out.printf(Locale.ROOT, "  one byte written in the middle: %.1f ms, %d B uploaded in %d blocks, %d B chunked%n",
            editMs, w.report().bytesUploaded(), w.report().blocksUploaded(), w.report().bytesRead());
      }
      byte[] buf = new byte[1 << 20];
      for (int i = 0; i < rounds; i++) {
        long t = System.nanoTime();
        long n = 0;
        try (InputStream in = client.open("/sparse-0").inputStream(TIB / 4)) {
          int k;
          while (n < holeRead && (k = in.read(buf)) > 0) {
            n += k;
          }
        }
        double s = (System.nanoTime() - t) / 1e9;
        System.out.printf(Locale.ROOT, "read of a hole %d: %.0f MB/s (%d MiB)%n", i + 1, n / s / 1e6, n >> 20);
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
