package dev.outpost.crypto;

import static dev.outpost.crypto.SealTest.assertCorrupt;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IndexBlockTest {
  static final BlockSealer SEALER = FileTreeBuilderTest.SEALER;

  @Test
  void publicPartIsReadableWithoutAKeyAndMatchesTheSealedPart() {
    List<ChildRef> children = FileTreeBuilderTest.randomChildren(1, 5);
    SealedBlock b = SEALER.sealIndex(1, children);
    assertThat(b.cipherLength()).isEqualTo(IndexBlock.cipherLength(5));
    assertThat(IndexBlock.readPublic(b.cipher())).isEqualTo(children.stream().map(ChildRef::ref).toList());
    IndexBlock.Opened o = IndexBlock.open(b.key(), b.cipher());
    assertThat(o.level()).isEqualTo(1);
    assertThat(o.children()).isEqualTo(children);
    assertThat(o.plainBytes()).isEqualTo(children.stream().mapToLong(ChildRef::plainBytes).sum());
  }

  @Test
  void everyBitFlipInEitherPartIsDetected() {
    SealedBlock b = SEALER.sealIndex(2, FileTreeBuilderTest.randomChildren(2, 4));
    for (int bit = 0; bit < b.cipherLength() * 8; bit++) {
      byte[] c = b.cipher().clone();
      c[bit / 8] ^= (byte) (1 << (bit % 8));
      assertCorrupt(() -> IndexBlock.open(b.key(), c));
    }
  }

  @Test
  void countsAreBoundedByTheBlockLengthBeforeAllocating() {
    SealedBlock b = SEALER.sealIndex(1, FileTreeBuilderTest.randomChildren(3, 4));
    for (int count : new int[] {0, 3, 5, 512, 513, Integer.MAX_VALUE, -1}) {
      byte[] c = b.cipher().clone();
      ByteBuffer.wrap(c).putInt(2, count);
      assertCorrupt(() -> IndexBlock.readPublic(c));
      assertCorrupt(() -> IndexBlock.open(b.key(), c));
    }
    for (int level : new int[] {0, 9, 255}) {
      byte[] c = b.cipher().clone();
      c[1] = (byte) level;
      assertCorrupt(() -> IndexBlock.readPublic(c));
    }
    byte[] dataBlock = SEALER.seal(new byte[100]).cipher();
    assertCorrupt(() -> IndexBlock.readPublic(dataBlock));
    assertCorrupt(() -> BlockOpener.open(b.key(), b.cipher(), 10));
    assertCorrupt(() -> IndexBlock.readPublic(new byte[3]));
  }

  @Test
  void mutatedIndexBlocksOnlyGiveTypedErrors() {
    SealedBlock b = SEALER.sealIndex(1, FileTreeBuilderTest.randomChildren(4, 6));
    Random r = new Random(5);
    for (int i = 0; i < 3000; i++) {
      byte[] c = b.cipher().clone();
      int edits = 1 + r.nextInt(4);
      for (int e = 0; e < edits; e++) {
        c[r.nextInt(c.length)] = (byte) r.nextInt();
      }
      if (java.util.Arrays.equals(c, b.cipher())) {
        continue;
      }
      try {
        IndexBlock.readPublic(c);
      } catch (dev.outpost.core.OutpostException expected) {
        // typed
      }
      assertCorrupt(() -> IndexBlock.open(b.key(), c));
    }
  }
}
