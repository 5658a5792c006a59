package dev.outpost.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Computes the known-answer vectors of FORMAT.md from fixed inputs. {@link #main} writes them to
 * src/test/resources/vectors (run once when the format is versioned); {@code KnownAnswerTest} checks the
 * code still reproduces the committed files byte for byte.
 */
final class Vectors {
  static final HexFormat HEX = HexFormat.of();
  /** Master secret 00 01 .. 1f. */
  static final byte[] SECRET = range(0x00, 32);
  /** Volume id a0 a1 .. af. */
  static final byte[] VOLUME_ID = range(0xa0, 16);
  static final String STREAM_SEED = "outpost/vector/stream";
  static final int STREAM_BYTES = 4 * 1024 * 1024;

  private Vectors() {}

  static byte[] range(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (from + i);
    }
    return b;
  }

  static VolumeKey volumeKey() {
    return VolumeKey.fromSecret(SECRET, VOLUME_ID);
  }

  /** The documented pseudo-random stream: SHA-256(ASCII seed ‖ u64 BE counter) for counter = 0, 1, ... */
  static byte[] stream(String seed, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] out = new byte[length];
      byte[] s = seed.getBytes(StandardCharsets.US_ASCII);
      for (long counter = 0; counter * 32 < length; counter++) {
        md.update(s);
        md.update(ByteBuffer.allocate(8).putLong(counter).array());
        byte[] block = md.digest();
        int at = (int) (counter * 32);
        System.arraycopy(block, 0, out, at, Math.min(32, length - at));
      }
      return out;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] sha256(byte[] b, int off, int len) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(b, off, len);
      return md.digest();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static byte[] sha256(String s, int i) {
    byte[] a = s.getBytes(StandardCharsets.US_ASCII);
    byte[] b = ByteBuffer.allocate(a.length + 4).put(a).putInt(i).array();
    return sha256(b, 0, b.length);
  }

  static byte[] gearBytes(GearTable t) {
    ByteBuffer b = ByteBuffer.allocate(GearTable.BYTES);
    for (int i = 0; i < 256; i++) {
      b.putLong(t.value(i));
    }
    return b.array();
  }

  static List<String> keys() {
    VolumeKey k = volumeKey();
    List<String> out = new ArrayList<>();
    out.add("# Sub-keys of master secret 000102..1f, volume id a0a1..af (FORMAT.md §1)");
    out.add("convergence-secret: " + HEX.formatHex(k.convergenceSecret().copy()));
    out.add("wrap-key: " + HEX.formatHex(k.wrapKey().copy()));
    byte[] gear = gearBytes(k.gearTable());
    out.add("gear-table-first-32-bytes: " + HEX.formatHex(gear, 0, 32));
    out.add("gear-table-sha256: " + HEX.formatHex(sha256(gear, 0, gear.length)));
    VolumeKey p = VolumeKey.fromPassphrase("correct horse".toCharArray(), VOLUME_ID, new Argon2Params(64, 1, 1));
    out.add("# passphrase 'correct horse', Argon2id m=64 KiB t=1 p=1");
    out.add("passphrase-secret: " + HEX.formatHex(p.secretCopy()));
    return out;
  }

  static List<String> chunks() {
    Chunker c = new Chunker(volumeKey().gearTable());
    byte[] data = stream(STREAM_SEED, STREAM_BYTES);
    List<String> out = new ArrayList<>();
    out.add("# FastCDC cuts (FORMAT.md §2) of the 4 MiB stream SHA-256(\"" + STREAM_SEED
        + "\" || u64be counter), counter = 0,1,..., under the key of keys.txt");
    out.add("# chunk: offset length sha256(chunk)");
    c.split(data, 0, data.length, (b, off, len) ->
        out.add("chunk: " + off + " " + len + " " + HEX.formatHex(sha256(b, off, len))));
    return out;
  }

  static List<String> seal() {
    BlockSealer s = new BlockSealer(volumeKey());
    List<String> out = new ArrayList<>();
    byte[] raw = stream("outpost/vector/raw", 1000);
    StringBuilder text = new StringBuilder();
    for (int i = 0; text.length() < 4096; i++) {
      text.append("outpost block ").append(i % 7).append('\n');
    }
    byte[] zstd = text.substring(0, 4096).getBytes(StandardCharsets.US_ASCII);
    out.add("# Sealed data blocks (FORMAT.md §3) under the key of keys.txt; 'raw' is incompressible, 'zstd' is not");
    for (var e : List.of(new Object[] {"raw", raw}, new Object[] {"zstd", zstd})) {
      String name = (String) e[0];
      SealedBlock b = s.seal((byte[]) e[1]);
      out.add(name + ".plain: " + HEX.formatHex((byte[]) e[1]));
      out.add(name + ".key: " + HEX.formatHex(b.key()));
      if (b.cipher()[0] == BlockFormat.DATA_ZSTD) {
        out.add(name + ".nonce: " + HEX.formatHex(b.cipher(), 1, BlockFormat.ZSTD_PREFIX_BYTES));
      }
      out.add(name + ".cipher: " + HEX.formatHex(b.cipher()));
      out.add(name + ".id: " + b.id().hex());
    }
    return out;
  }

  /** Synthetic children: id = SHA-256("child" ‖ u32 i), key = SHA-256("key" ‖ u32 i), cipher 1000 + i, plain 900 + i. */
  static List<ChildRef> syntheticChildren(int n) {
    List<ChildRef> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new ChildRef(dev.outpost.core.BlockId.of(sha256("child", i)), 1000 + i, sha256("key", i), 900 + i));
    }
    return out;
  }

  static List<String> index() {
    VolumeKey vk = volumeKey();
    BlockSealer s = new BlockSealer(vk);
    List<String> out = new ArrayList<>();
    out.add("# Index tree (FORMAT.md §4) over 600 synthetic children: id = SHA-256(\"child\" || u32be i),");
    out.add("# key = SHA-256(\"key\" || u32be i), cipher length 1000 + i, plain bytes 900 + i; blocks in emission order");
    out.add("# block: level id cipherLength");
    List<SealedBlock> blocks = new ArrayList<>();
    FileTreeBuilder t = new FileTreeBuilder(s, blocks::add);
    syntheticChildren(600).forEach(t::add);
    FileRoot root = t.finish().orElseThrow();
    for (SealedBlock b : blocks) {
      out.add("block: " + b.cipher()[1] + " " + b.id().hex() + " " + b.cipherLength());
    }
    out.add("first-block.key: " + HEX.formatHex(blocks.getFirst().key()));
    out.add("first-block.cipher: " + HEX.formatHex(blocks.getFirst().cipher()));
    out.add("root: " + root.block().hex() + " " + root.depth() + " " + root.cipherLength() + " "
        + HEX.formatHex(root.key()) + " " + root.sizeBytes());
    out.add("# root key wrap (FORMAT.md §5), nonce 000102..0b, inode 42");
    out.add("wrapped-root-key: " + HEX.formatHex(RootKeys.wrap(vk, 42, root.key(), range(0, 12))));
    return out;
  }

  static PrivateKey tokenKey() {
    try {
      byte[] der = HEX.parseHex("302e020100300506032b657004220420" + HEX.formatHex(range(0x40, 32)));
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The same key pair through the generator, fed the seed as its randomness (the JDK draws exactly 32 bytes). */
  static java.security.KeyPair tokenKeyPair() {
    return TokenSigner.generateKeyPair(new FixedRandom(range(0x40, 32)));
  }

  /** A SecureRandom that replays fixed bytes, cycling; for deterministic tests only. */
  static final class FixedRandom extends java.security.SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;
    private int at;

    FixedRandom(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public synchronized void nextBytes(byte[] out) {
      for (int i = 0; i < out.length; i++) {
        out[i] = bytes[at++ % bytes.length];
      }
    }
  }

  static List<String> token() {
    List<String> out = new ArrayList<>();
    out.add("# Access token (FORMAT.md §6) signed with the Ed25519 key whose seed is 404142..5f");
    AccessToken t = new AccessToken("projects", AccessToken.Mode.RW, "alice@branch-1",
        Instant.ofEpochSecond(1_700_000_000L), Instant.ofEpochSecond(1_700_003_600L));
    out.add("token: " + new TokenSigner(tokenKey()).sign(t));
    return out;
  }

  static List<String> file(String name) {
    return switch (name) {
      case "keys.txt" -> keys();
      case "chunks.txt" -> chunks();
      case "seal.txt" -> seal();
      case "index.txt" -> index();
      case "token.txt" -> token();
      default -> throw new IllegalArgumentException(name);
    };
  }

  static final List<String> FILES = List.of("keys.txt", "chunks.txt", "seal.txt", "index.txt", "token.txt");

  static List<String> committed(String name) throws IOException {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IOException("vector file missing: " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** Regenerates the vector files: {@code java ... dev.outpost.crypto.Vectors crypto/src/test/resources/vectors}. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "src/test/resources/vectors");
    Files.createDirectories(dir);
    for (String f : FILES) {
      Files.write(dir.resolve(f), file(f));
    }
  }
}
