package dev.outpost.bench.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.core.OutpostException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
  @TempDir
  Path dir;

  @Test
  void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() throws Exception {
    Dataset a = Dataset.generate(dir.resolve("a"), 11, 0.002);
    Dataset b = Dataset.generate(dir.resolve("b"), 11, 0.002);
    Dataset c = Dataset.generate(dir.resolve("c"), 12, 0.002);
    assertThat(b.tree()).isEqualTo(a.tree());
    assertThat(b.text()).isEqualTo(a.text());
    assertThat(c.bigFile().sha256()).isNotEqualTo(a.bigFile().sha256());
    assertThat(Files.readAllBytes(b.local(b.bigFile()))).isEqualTo(Files.readAllBytes(a.local(a.bigFile())));
  }

  @Test
  void tinyScalesKeepEveryKindOfFile() throws Exception {
    Dataset d = Dataset.generate(dir, 5, 0.0001);
    assertThat(d.tree()).extracting(Dataset.Entry::path)
        .anyMatch(p -> p.startsWith("tree/medium/")).anyMatch(p -> p.startsWith("tree/small/"))
        .contains(Dataset.BIG_FILE);
    assertThat(d.bigFile().sizeBytes()).isEqualTo(64 << 10);
    assertThat(d.text()).isNotEmpty();
    for (Dataset.Entry e : d.tree()) {
      assertThat(Files.size(d.local(e))).isEqualTo(e.sizeBytes());
    }
  }

  @Test
  void textIsCompressibleAndRandomDataIsNot() throws Exception {
    Dataset d = Dataset.generate(dir, 5, 0.002);
    byte[] text = Files.readAllBytes(d.local(d.text().getFirst()));
    byte[] random = Files.readAllBytes(d.local(d.bigFile()));
    assertThat(deflated(text)).isLessThan(text.length / 2);
    assertThat(deflated(random)).isGreaterThan(random.length * 99 / 100);
  }

  @Test
  void aScaleOutOfRangeIsATypedError() {
    assertThatThrownBy(() -> Dataset.generate(dir, 1, 0)).isInstanceOf(OutpostException.class)
        .hasMessageContaining("scale 0.0");
  }

  private static int deflated(byte[] b) {
    java.util.zip.Deflater d = new java.util.zip.Deflater();
    d.setInput(b);
    d.finish();
    byte[] out = new byte[b.length + 1024];
    int n = 0;
    while (!d.finished()) {
      n += d.deflate(out, n, out.length - n);
    }
    d.end();
    return n;
  }
}
