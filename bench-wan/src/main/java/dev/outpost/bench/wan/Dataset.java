package dev.outpost.bench.wan;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's files, generated deterministically from a seed into a local directory: the same seed and scale
 * give the same bytes on every machine.
 *
 * <pre>
 * tree/big/random.bin                 one random file, 128 MiB × scale
 * tree/medium/mNN/file-NNN.bin        200 × scale random files of 256 KiB, 20 per directory
 * tree/small/aNN/bNN/file-NNNN.dat    2000 × scale random files of 4 KiB, 10 per directory, 10 directories each
 * text/pkgNN/ModuleNNNN.java          50 MiB × scale of source-like text (compressible), files of 16..256 KiB
 * </pre>
 *
 * Counts are at least 1 and sizes at least 64 KiB, so tiny scales still exercise every kind of file.
 */
public final class Dataset {
  public static final String TREE = "tree";
  public static final String TEXT = "text";
  public static final String BIG_FILE = "tree/big/random.bin";

  /** One generated file: path relative to the dataset root ('/'-separated), size and SHA-256 of its bytes. */
  public record Entry(String path, long sizeBytes, String sha256) {}

  private final Path root;
  private final long seed;
  private final double scale;
  private final List<Entry> tree;
  private final List<Entry> text;

  private Dataset(Path root, long seed, double scale, List<Entry> tree, List<Entry> text) {
    this.root = root;
    this.seed = seed;
    this.scale = scale;
    this.tree = List.copyOf(tree);
    this.text = List.copyOf(text);
  }

  /**
   * Writes the dataset under {@code root} (replacing files of the same names).
   *
   * @param scale 0.0001 .. 100 (1 = the sizes, ~186 MiB of tree and 50 MiB of text)
   * @throws OutpostException INVALID_ARGUMENT for a scale out of range
   * @throws IOException if the files cannot be written
   */
  public static Dataset generate(Path root, long seed, double scale) throws IOException {
    if (!(scale >= 0.0001 && scale <= 100)) {
      throw new OutpostException(ErrorCode.INVALID_ARGUMENT, "dataset scale " + scale + " is outside 0.0001..100");
    }
    List<Entry> tree = new ArrayList<>();
    List<Entry> text = new ArrayList<>();
    long bigBytes = Math.max(64L << 10, Math.round((128L << 20) * scale) & ~4095L);
    tree.add(writeRandom(root, BIG_FILE, bigBytes, new SplittableRandom(seed)));
    int medium = count(200, scale);
    for (int i = 0; i < medium; i++) {
      String p = String.format("tree/medium/m%02d/file-%03d.bin", i / 20, i);
      tree.add(writeRandom(root, p, 256 << 10, new SplittableRandom(seed * 31 + 1_000 + i)));
    }
    int small = count(2000, scale);
    for (int i = 0; i < small; i++) {
      String p = String.format("tree/small/a%02d/b%02d/file-%04d.dat", i / 100, (i / 10) % 10, i);
      tree.add(writeRandom(root, p, 4 << 10, new SplittableRandom(seed * 31 + 100_000 + i)));
    }
    long textTarget = Math.max(64L << 10, Math.round((50L << 20) * scale));
    SplittableRandom r = new SplittableRandom(seed * 31 + 7);
    long written = 0;
    for (int i = 0; written < textTarget; i++) {
      long size = Math.min(textTarget - written, (16 << 10) + r.nextInt(240 << 10));
      String p = String.format("text/pkg%02d/Module%04d.java", i / 25, i);
      text.add(writeText(root, p, size, new SplittableRandom(r.nextLong())));
      written += size;
    }
    return new Dataset(root, seed, scale, tree, text);
  }

  private static int count(int full, double scale) {
    return (int) Math.max(1, Math.round(full * scale));
  }

  private static Entry writeRandom(Path root, String rel, long size, SplittableRandom r) throws IOException {
    Path f = root.resolve(rel);
    Files.createDirectories(f.getParent());
    MessageDigest sha = sha256();
    byte[] buf = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(f)) {
      for (long left = size; left > 0; ) {
        int n = (int) Math.min(buf.length, left);
        r.nextBytes(buf);
        out.write(buf, 0, n);
        sha.update(buf, 0, n);
        left -= n;
      }
    }
    return new Entry(rel, size, HexFormat.of().formatHex(sha.digest()));
  }

  private static final String[] TYPES = {"int", "long", "String", "List<String>", "Map<String, Long>", "boolean",
      "byte[]", "Path", "Duration", "Optional<Entry>"};
  private static final String[] WORDS = {"count", "index", "buffer", "name", "entry", "offset", "length", "block",
      "cache", "result", "value", "node", "path", "size", "limit", "version", "token", "reader", "writer", "state"};
  private static final String[] CALLS = {"compute", "resolve", "update", "merge", "check", "load", "store", "flush",
      "parse", "render"};

  /** Source-like text: repetitive keywords and identifiers with numbered variations (compresses ~3-5×). */
  private static Entry writeText(Path root, String rel, long size, SplittableRandom r) throws IOException {
    Path f = root.resolve(rel);
    Files.createDirectories(f.getParent());
    StringBuilder sb = new StringBuilder((int) size + 256);
    sb.append("package bench.generated;\n\nimport java.util.*;\n\n/** Generated for the WAN benchmark. */\n");
    sb.append("public final class ").append(f.getFileName().toString().replace(".java", "")).append(" {\n");
    while (sb.length() < size) {
      String w = WORDS[r.nextInt(WORDS.length)] + r.nextInt(64);
      switch (r.nextInt(4)) {
        case 0 -> sb.append("  private final ").append(TYPES[r.nextInt(TYPES.length)]).append(' ').append(w).append(";\n");
        case 1 -> sb.append("  public ").append(TYPES[r.nextInt(TYPES.length)]).append(' ')
            .append(CALLS[r.nextInt(CALLS.length)]).append(Character.toUpperCase(w.charAt(0))).append(w.substring(1))
            .append("(").append(TYPES[r.nextInt(TYPES.length)]).append(" ").append(WORDS[r.nextInt(WORDS.length)])
            .append(") {\n");
        case 2 -> sb.append("    if (").append(w).append(" == null) {\n      throw new IllegalStateException(\"")
            .append(w).append(" missing at ").append(r.nextInt(100_000)).append("\");\n    }\n");
        default -> sb.append("    return ").append(CALLS[r.nextInt(CALLS.length)]).append("(").append(w)
            .append(", ").append(r.nextInt(1 << 16)).append(");\n  }\n\n");
      }
    }
    byte[] bytes = sb.substring(0, (int) size).getBytes(StandardCharsets.US_ASCII);
    Files.write(f, bytes);
    return new Entry(rel, bytes.length, HexFormat.of().formatHex(sha256().digest(bytes)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public Path root() {
    return root;
  }

  public long seed() {
    return seed;
  }

  public double scale() {
    return scale;
  }

  /** The binary tree (big, medium, small files), in the order written. */
  public List<Entry> tree() {
    return tree;
  }

  /** The compressible text set. */
  public List<Entry> text() {
    return text;
  }

  public Entry bigFile() {
    return tree.getFirst();
  }

  public long treeBytes() {
    return tree.stream().mapToLong(Entry::sizeBytes).sum();
  }

  public long textBytes() {
    return text.stream().mapToLong(Entry::sizeBytes).sum();
  }

  public Path local(Entry e) {
    return root.resolve(e.path());
  }
}
