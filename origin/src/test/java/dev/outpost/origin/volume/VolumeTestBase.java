package dev.outpost.origin.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.RootRef;
import dev.outpost.crypto.BlockSealer;
import dev.outpost.crypto.FileRoot;
import dev.outpost.crypto.FileTreeBuilder;
import dev.outpost.crypto.SealedBlock;
import dev.outpost.crypto.VolumeKey;
import dev.outpost.protocol.FileAttr;
import dev.outpost.store.StorageConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A fresh volume in a temporary directory per test, a settable clock, and real sealed block trees. */
abstract class VolumeTestBase {
  static final StorageConfig CONFIG = new StorageConfig(1 << 20, 1L << 30, 64, true);
  static final byte[] VOLUME_ID = new byte[VolumeKey.VOLUME_ID_BYTES];
  static final long T0 = 1_700_000_000_000L;

  @TempDir
  Path dir;
  final TestClock clock = new TestClock(T0);
  LmdbVolume volume;

  private final VolumeKey key = VolumeKey.fromSecret(new byte[VolumeKey.SECRET_BYTES], VOLUME_ID);
  private final BlockSealer sealer = new BlockSealer(key);

  @BeforeEach
  void createVolume() {
    volume = LmdbVolume.create(dir, "test", VOLUME_ID, CONFIG, clock);
  }

  @AfterEach
  void closeVolume() {
    volume.close();
  }

  LmdbVolume reopen(int retainEvents) {
    volume.close();
    volume = LmdbVolume.open(dir, CONFIG, clock, retainEvents);
    return volume;
  }

  /** A file version: its root reference, every block of it (data and index) and its size. */
  record Content(RootRef root, List<SealedBlock> blocks, long size) {
    Optional<RootRef> rootRef() {
      return Optional.of(root);
    }

    List<dev.outpost.core.BlockId> ids() {
      return blocks.stream().map(SealedBlock::id).toList();
    }
  }

  /** Seals {@code chunks} small distinct chunks derived from {@code seed} and builds their index tree. */
  Content content(String seed, int chunks) {
    List<SealedBlock> all = new ArrayList<>();
    FileTreeBuilder builder = new FileTreeBuilder(sealer, all::add);
    long size = 0;
    for (int i = 0; i < chunks; i++) {
      SealedBlock chunk = sealer.seal((seed + "/chunk " + i).getBytes(StandardCharsets.UTF_8));
      all.add(chunk);
      builder.add(chunk);
      size += chunk.plainLength();
    }
    FileRoot root = builder.finish().orElseThrow();
    return new Content(new RootRef(root.block(), root.depth(), root.cipherLength(), new byte[] {7, 7, 7}),
        List.copyOf(all), size);
  }

  void upload(Content c) {
    for (SealedBlock b : c.blocks()) {
      volume.putBlock(b.id(), ByteBuffer.wrap(b.cipher()));
    }
  }

  /** Creates (base 0) or replaces a file with {@code c}, uploading its blocks first. */
  FileAttr write(String path, long baseVersion, Content c) {
    upload(c);
    return volume.commit(path, 0, baseVersion, c.rootRef(), c.size(), clock.millis(), clock.millis()).result();
  }

  static OutpostException failure(ErrorCode code, ThrowingCallable call) {
    OutpostException e = catchThrowableOfType(OutpostException.class, call);
    assertThat(e).as("expected %s", code).isNotNull();
    assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    return e;
  }

  /** A clock tests move by hand. */
  static final class TestClock extends Clock {
    private final AtomicLong millis;

    TestClock(long startMillis) {
      this.millis = new AtomicLong(startMillis);
    }

    void advance(long byMillis) {
      millis.addAndGet(byMillis);
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
