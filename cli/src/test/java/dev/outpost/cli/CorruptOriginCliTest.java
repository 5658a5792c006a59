package dev.outpost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.client.WriteOptions;
import dev.outpost.origin.embedded.EmbeddedOrigin;
import dev.outpost.origin.embedded.StoredBlocks;
import dev.outpost.protocol.FileAttr;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `outpost cat` and `outpost get` of files whose blocks were damaged at the origin (offline, while it was
 * stopped): exit 1 with one line naming the cause; `get` leaves no partial file and keeps an existing one.
 */
class CorruptOriginCliTest {
  record Run(int code, String out, String err) {}

  @Test
  void catAndGetFailAndGetLeavesNoPartialFile(@TempDir Path dir) throws Exception {
    try (EmbeddedOrigin origin = EmbeddedOrigin.start(dir.resolve("origin"), TestOrigins.VOLUME)) {
      Random random = new Random(3);
      byte[] small = new byte[5000];
      byte[] big = new byte[3 << 20];
      random.nextBytes(small);
      random.nextBytes(big);
      FileAttr smallAttr;
      FileAttr bigAttr;
      try (OutpostClient c = TestOrigins.client(origin)) {
        smallAttr = c.write("/small", small, WriteOptions.DEFAULTS).attr();
        bigAttr = c.write("/big", big, WriteOptions.DEFAULTS).attr();
      }
      origin.stop();
      try (StoredBlocks stored = StoredBlocks.open(origin.dataDir())) {
        stored.flipByte(smallAttr.root().orElseThrow().block(), 10);
        List<dev.outpost.core.BlockId> data = stored.tree(bigAttr.root().orElseThrow()).data();
        stored.delete(data.get(data.size() / 2));
      }
      origin.start();

      Path token = Files.writeString(dir.resolve("token"), origin.adminToken() + "\n");
      String[] conn = {"--server", origin.address(), "--token-file", token.toString(), "--key-file",
          origin.keyFile().toString()};
      for (String path : new String[] {"/small", "/big"}) {
        Run cat = run(conn, "cat", path);
        assertThat(cat.code()).as("cat %s: %s", path, cat.err()).isEqualTo(1);
        assertThat(cat.err().strip()).as("cat %s", path).doesNotContain("\n")
            .containsAnyOf("authentication tag does not verify", "missing at the server");

        Path fresh = dir.resolve("fresh" + path.replace('/', '-'));
        Run get = run(conn, "get", path, fresh.toString());
        assertThat(get.code()).as("get %s: %s", path, get.err()).isEqualTo(1);
        assertThat(fresh).doesNotExist();
        Path existing = Files.writeString(dir.resolve("existing" + path.replace('/', '-')), "yesterday's copy\n");
        assertThat(run(conn, "get", path, existing.toString()).code()).isEqualTo(1);
        assertThat(existing).hasContent("yesterday's copy");
      }
      try (var left = Files.list(dir)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .containsExactlyInAnyOrder("origin", "token", "existing-small", "existing-big");
      }
    }
  }

  private static Run run(String[] conn, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + conn.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(conn, 0, all, args.length, conn.length);
    int code = new OutpostMain(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false).run(all);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
