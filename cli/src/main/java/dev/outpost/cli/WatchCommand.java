package dev.outpost.cli;

import dev.outpost.client.ChangeListener;
import dev.outpost.client.OutpostClient;
import dev.outpost.client.Watch;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.ChangeKind;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Print changes under a path as they happen: SEQ KIND PATH VERSION.",
    footer = {"%nExample:", "  outpost watch /projects            # until Ctrl-C",
        "  outpost watch --from 0 --count 10 /  # the first 10 journal entries"})
final class WatchCommand extends ClientCommand {
  @Parameters(index = "0", defaultValue = "/", paramLabel = "PREFIX")
  String prefix;

  @Option(names = "--from", paramLabel = "SEQ", description = "Start after this journal sequence (default: now).")
  Long fromSeq;

  @Option(names = "--count", paramLabel = "N", description = "Exit after N events.")
  Long count;

  @Override
  int run(OutpostClient client) {
    long from = fromSeq != null ? fromSeq : client.welcome().journalSeq();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    AtomicLong seen = new AtomicLong();
    ChangeListener listener = new ChangeListener() {
      @Override
      public void onChange(ChangeEvent e) {
        main.out.println(e.seq() + " " + e.kind() + " " + e.path()
            + (e.kind() == ChangeKind.RENAMED ? " (from " + e.fromPath() + ")" : "") + " v" + e.version());
        main.out.flush();
        if (count != null && seen.incrementAndGet() >= count) {
          done.complete(0);
        }
      }

      @Override
      public void onResync(long currentSeq) {
        main.out.println(currentSeq + " RESYNC " + prefix + " (changes were dropped; revalidate)");
      }

      @Override
      public void onError(OutpostException error) {
        done.completeExceptionally(error);
      }
    };
    if (count != null && count <= 0) {
      return 0;
    }
    try (Watch w = client.watch(prefix, from, listener)) {
      return done.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof OutpostException oe) {
        throw oe;
      }
      throw e;
    }
  }
}
