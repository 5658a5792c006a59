package dev.outpost.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurabilityTest extends StoreTestBase {
  @ParameterizedTest(name = "durable={0}, sync={1}")
  @CsvSource({"true, false", "false, true"})
  void committedDataSurvivesCloseAndReopen(boolean durable, boolean sync) {
    LmdbStorage storage = open(config(StorageConfig.MIN_MAP_BYTES, 64 * MIB, durable));
    BlockStore blocks = storage.blockStore("blocks");
    Table<Long, String> table = storage.table("names", Codecs.SORTABLE_LONG, Codecs.UTF8);
    List<BlockWrite> writes = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      writes.add(blockWrite(i, 5000));
    }
    blocks.putAll(writes);
    storage.write(txn -> {
      table.put(txn, 1L, "one");
      return null;
    });
    if (sync) {
      storage.sync();
    }
    storage.close();

    LmdbStorage reopened = open(dir.resolve("store"), config(StorageConfig.MIN_MAP_BYTES, 64 * MIB, durable));
    BlockStore again = reopened.blockStore("blocks");
    Table<Long, String> names = reopened.table("names", Codecs.SORTABLE_LONG, Codecs.UTF8);
    assertStats(again, 30, 150_000);
    assertThat(again.missing(writes.stream().map(BlockWrite::id).toList())).isEmpty();
    assertThat(reopened.<String>read(txn -> names.get(txn, 1L).orElseThrow())).isEqualTo("one");
  }

  @ParameterizedTest(name = "durable={0}, sync={1}")
  @CsvSource({"true, false", "false, true"})
  void committedDataSurvivesTheWriterProcessDying(boolean durable, boolean sync) throws Exception {
    Path store = dir.resolve("crashed");
    Process child = startCrashWriter(store, durable, sync);
    assertThat(child.waitFor(45, TimeUnit.SECONDS)).as("child finished").isTrue();
    String output = Files.readString(dir.resolve("child.log"));
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("committed " + CrashWriter.BLOCKS);

    // Opened again without the writer ever closing the environment.
    LmdbStorage reopened = open(store, config(StorageConfig.MIN_MAP_BYTES, 64 * MIB, durable));
    BlockStore blocks = reopened.blockStore("blocks");
    Table<Long, String> names = reopened.table("names", Codecs.SORTABLE_LONG, Codecs.UTF8);
    assertStats(blocks, CrashWriter.BLOCKS, CrashWriter.BLOCKS * 10_000L);
    assertThat(reopened.read(blocks::recount)).isEqualTo(blocks.stats());
    assertThat(reopened.<Long>read(names::count)).isEqualTo(CrashWriter.BLOCKS);
    assertThat(blocks.contains(blockWrite(CrashWriter.BLOCKS - 1, 10_000).id())).isTrue();
    // And it is writable: the dead process left no lock behind.
    BlockWrite w = blockWrite(1000, 10);
    assertThat(blocks.put(w.id(), w.cipher())).isTrue();
  }

  private Process startCrashWriter(Path store, boolean durable, boolean sync) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    command.add(java);
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-") || arg.startsWith("--sun-misc") || arg.startsWith("--enable-native")
          || arg.startsWith("-Dlmdbjava") || arg.startsWith("-Djava.io.tmpdir")) {
        command.add(arg);
      }
    }
    String lmdbExtract = System.getProperty("lmdbjava.extract.dir");
    if (lmdbExtract != null) {
      command.add("-Dlmdbjava.extract.dir=" + lmdbExtract);
    }
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(CrashWriter.class.getName());
    command.add(store.toString());
    command.add(Boolean.toString(durable));
    command.add(Boolean.toString(sync));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("child.log").toFile())
        .start();
  }
}
