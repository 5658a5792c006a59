package dev.outpost.fuse;

import dev.outpost.origin.embedded.EmbeddedOrigin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.client.OutpostClient;
import dev.outpost.protocol.DirEntry;
import dev.outpost.protocol.FileType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * fsx-style: a seeded sequence of random operations (writes at offsets, truncates, renames, unlinks, mkdir/rmdir,
 * reads through a long-lived descriptor) applied both to the mount and to a local directory; after every step the
 * touched files must read the same, every 100 steps the whole trees, and at the end the origin itself (through a
 * second client) must hold the local tree.
 */
class RandomOpsTest extends MountFixture {
  private static final long SEED = Long.getLong("outpost.fsx.seed", 20261123L);
  private static final int OPS = 3000;
  private static final int MAX_FILE_BYTES = 300_000;
  private static final String[] DIRS = {"", "d0/", "d0/d1/"};
  private static final String[] NAMES = {"a", "b", "c", "d"};

  private final Random random = new Random(SEED);
  private Path ref;

  @Test
  void randomOperationsMatchALocalDirectory() throws Exception {
    ref = Files.createDirectories(tmp.resolve("ref"));
    for (int op = 0; op < OPS; op++) {
      String step = "op " + op + " (seed " + SEED + ")";
      int kind = random.nextInt(100);
      if (kind < 30) {
        writeAtOffset(step);
      } else if (kind < 50) {
        descriptorSession(step);
      } else if (kind < 58) {
        truncate(step);
      } else if (kind < 68) {
        rename(step);
      } else if (kind < 74) {
        unlink(step);
      } else if (kind < 82) {
        mkdirOrRmdir(step);
      } else {
        readRange(step);
      }
      if (op % 100 == 99) {
        assertThat(tree(mnt)).as(step + ": whole tree").isEqualTo(tree(ref));
      }
    }
    assertThat(tree(mnt)).isEqualTo(tree(ref));
    try (OutpostClient other = TestOrigins.client(origin)) {
      assertThat(originTree(other, "/")).as("what the origin holds").isEqualTo(tree(ref));
    }
  }

  private void writeAtOffset(String step) throws IOException {
    String name = randomFile();
    if (!Files.isDirectory(ref.resolve(name).getParent())) {
      return;
    }
    long size = Files.exists(ref.resolve(name)) ? Files.size(ref.resolve(name)) : 0;
    long offset = Math.min(random.nextLong(size + 8192), MAX_FILE_BYTES);
    byte[] data = randomBytes(1 + random.nextInt(32_768));
    for (Path root : List.of(ref, mnt)) {
      try (FileChannel ch = FileChannel.open(root.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(data), offset);
      }
    }
    assertSame(step + " write " + data.length + " at " + offset + " of " + name, name);
  }

  /** One descriptor on each side kept open across several writes, truncates and reads, as fsx does. */
  private void descriptorSession(String step) throws IOException {
    String name = randomExistingFile();
    if (name == null) {
      return;
    }
    try (FileChannel r = FileChannel.open(ref.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel m = FileChannel.open(mnt.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      int n = 3 + random.nextInt(6);
      for (int i = 0; i < n; i++) {
        String what = step + " session " + name + " #" + i;
        switch (random.nextInt(3)) {
          case 0 -> {
            long offset = Math.min(random.nextLong(r.size() + 4096), MAX_FILE_BYTES);
            byte[] data = randomBytes(1 + random.nextInt(16_384));
            r.write(ByteBuffer.wrap(data), offset);
            m.write(ByteBuffer.wrap(data), offset);
          }
          case 1 -> {
            long size = random.nextLong(Math.min(r.size() + 16_384, MAX_FILE_BYTES) + 1);
            setSize(r, size);
            setSize(m, size);
          }
          default -> {
            long offset = random.nextLong(r.size() + 1);
            int len = 1 + random.nextInt(65_536);
            assertThat(readAt(m, offset, len)).as(what + " read " + len + " at " + offset).isEqualTo(readAt(r, offset, len));
          }
        }
        assertThat(m.size()).as(what + " size").isEqualTo(r.size());
      }
    }
    assertSame(step + " after session on " + name, name);
  }

  private void truncate(String step) throws IOException {
    String name = randomExistingFile();
    if (name == null) {
      return;
    }
    long size = random.nextLong(MAX_FILE_BYTES / 2);
    for (Path root : List.of(ref, mnt)) {
      try (FileChannel ch = FileChannel.open(root.resolve(name), StandardOpenOption.WRITE)) {
        setSize(ch, size);
      }
    }
    assertSame(step + " truncate " + name + " to " + size, name);
  }

  private void rename(String step) throws IOException {
    String from = randomExistingFile();
    String to = randomFile();
    if (from == null || from.equals(to) || !Files.isDirectory(ref.resolve(to).getParent())) {
      return;
    }
    for (Path root : List.of(ref, mnt)) {
      Files.move(root.resolve(from), root.resolve(to), StandardCopyOption.REPLACE_EXISTING);
    }
    assertSame(step + " rename " + from + " -> " + to, from);
    assertSame(step + " rename " + from + " -> " + to, to);
  }

  private void unlink(String step) throws IOException {
    String name = randomExistingFile();
    if (name == null) {
      return;
    }
    for (Path root : List.of(ref, mnt)) {
      Files.delete(root.resolve(name));
    }
    assertSame(step + " unlink " + name, name);
  }

  private void mkdirOrRmdir(String step) throws IOException {
    String dir = DIRS[1 + random.nextInt(DIRS.length - 1)];
    Path local = ref.resolve(dir);
    if (!Files.exists(local)) {
      if (Files.isDirectory(local.getParent())) {
        Files.createDirectory(local);
        Files.createDirectory(mnt.resolve(dir));
      }
    } else if (isEmpty(local)) {
      Files.delete(local);
      Files.delete(mnt.resolve(dir));
    } else {
      // A non-empty directory refuses rmdir on both sides alike.
      assertThat(rmdirFails(mnt.resolve(dir))).as(step + " rmdir of non-empty " + dir).isTrue();
    }
    assertThat(Files.isDirectory(mnt.resolve(dir))).as(step + " " + dir).isEqualTo(Files.isDirectory(local));
  }

  private void readRange(String step) throws IOException {
    String name = randomExistingFile();
    if (name == null) {
      return;
    }
    try (FileChannel r = FileChannel.open(ref.resolve(name)); FileChannel m = FileChannel.open(mnt.resolve(name))) {
      long offset = random.nextLong(r.size() + 1);
      int len = 1 + random.nextInt(200_000);
      assertThat(readAt(m, offset, len)).as(step + " read " + name + " " + len + " at " + offset).isEqualTo(readAt(r, offset, len));
    }
  }

  private void assertSame(String what, String name) throws IOException {
    Path local = ref.resolve(name);
    Path mounted = mnt.resolve(name);
    assertThat(Files.exists(mounted)).as(what + ": exists").isEqualTo(Files.exists(local));
    if (Files.exists(local)) {
      assertThat(Files.size(mounted)).as(what + ": size").isEqualTo(Files.size(local));
      assertThat(Files.readAllBytes(mounted)).as(what + ": content").isEqualTo(Files.readAllBytes(local));
    }
  }

  private String randomFile() {
    return DIRS[random.nextInt(DIRS.length)] + NAMES[random.nextInt(NAMES.length)];
  }

  private String randomExistingFile() {
    List<String> existing = new ArrayList<>();
    for (String d : DIRS) {
      for (String n : NAMES) {
        if (Files.isRegularFile(ref.resolve(d + n))) {
          existing.add(d + n);
        }
      }
    }
    return existing.isEmpty() ? null : existing.get(random.nextInt(existing.size()));
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static void setSize(FileChannel ch, long size) throws IOException {
    if (size < ch.size()) {
      ch.truncate(size);
    } else if (size > ch.size()) {
      ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
  }

  private static byte[] readAt(FileChannel ch, long offset, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(len);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) {
        break;
      }
    }
    byte[] out = new byte[buf.position()];
    buf.flip().get(out);
    return out;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static boolean rmdirFails(Path dir) {
    try {
      Files.delete(dir);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Every path below {@code root} with its content (files) or "dir". */
  private static TreeMap<String, String> tree(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString();
        try {
          out.put(rel, Files.isDirectory(p) ? "dir" : digest(Files.readAllBytes(p)));
        } catch (NoSuchFileException e) {
          out.put(rel, "vanished");
        }
      }
    }
    return out;
  }

  private static TreeMap<String, String> originTree(OutpostClient c, String dir) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    for (DirEntry e : c.list(dir)) {
      String path = dir.equals("/") ? "/" + e.name() : dir + "/" + e.name();
      if (e.attr().type() == FileType.DIRECTORY) {
        out.put(path.substring(1), "dir");
        out.putAll(originTree(c, path));
      } else {
        out.put(path.substring(1), digest(ShellToolsTest.readBytes(c, path)));
      }
    }
    return out;
  }

  private static String digest(byte[] b) {
    try {
      return b.length + ":" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
