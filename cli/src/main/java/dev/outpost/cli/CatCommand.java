package dev.outpost.cli;

import dev.outpost.client.OutpostClient;
import java.io.InputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cat", mixinStandardHelpOptions = true, description = "Write files' content to standard output.",
    footer = {"%nExample:", "  outpost cat /notes/todo.txt | less"})
final class CatCommand extends ClientCommand {
  @Parameters(arity = "1..*", paramLabel = "PATH")
  java.util.List<String> paths;

  @Override
  int run(OutpostClient client) throws Exception {
    for (String p : paths) {
      try (InputStream in = client.openRead(p)) {
        in.transferTo(main.out);
      }
    }
    main.out.flush();
    return 0;
  }
}
