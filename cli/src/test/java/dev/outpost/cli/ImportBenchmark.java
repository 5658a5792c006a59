package dev.outpost.cli;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;

/**
 * {@code outpost import} throughput and dedup against a real origin in the same JVM on loopback (prints figures;
 * not a test). Args: [files=400] [fileKiB=1024] [duplicatePercent=25]. See client/README.md for the command.
 */
public final class ImportBenchmark {
  private ImportBenchmark() {}

  public static void main(String[] args) throws Exception {
    int files = args.length > 0 ? Integer.parseInt(args[0]) : 400;
    int kib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int dupPercent = args.length > 2 ? Integer.parseInt(args[2]) : 25;
    Path dir = Files.createTempDirectory("outpost-import-bench");
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir.resolve("origin"), TestOrigins.VOLUME)) {
      Path tree = dir.resolve("tree");
      Random rnd = new Random(1);
      byte[] buf = new byte[kib * 1024];
      for (int i = 0; i < files; i++) {
        Path f = tree.resolve("d" + (i % 20)).resolve("f" + i + ".bin");
        Files.createDirectories(f.getParent());
        // Every dupPercent-th file repeats an earlier one's content: what a real tree of copies looks like.
        if (i > 0 && rnd.nextInt(100) < dupPercent) {
          new Random(rnd.nextInt(i)).nextBytes(buf);
        } else {
          new Random(i).nextBytes(buf);
        }
        Files.write(f, buf);
      }
      Path token = dir.resolve("token");
      Files.writeString(token, origin.adminToken());
      for (String run : new String[] {"first import", "second import (resume: nothing changed)"}) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new OutpostMain(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, false).run("import",
            tree.toString(), "/bench", "--server", origin.address(), "--token-file", token.toString(), "--key-file",
            origin.keyFile().toString(), "-j", String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() * 2)));
        System.out.println(run + " (exit " + code + "): " + out.toString(StandardCharsets.UTF_8).strip());
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
