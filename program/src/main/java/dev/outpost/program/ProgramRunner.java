package dev.outpost.program;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.transport.Errors;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a picocli program the way every Outpost server program behaves: exit 0 ok, 1 failure (one line
 * "program: message" on stderr; the log holds the cause, at ERROR only for INTERNAL), 2 usage (the message
 * and the usage). Subcommands whose constructor takes the program's injected context get it, so tests run
 * the program in-process with their own streams, clock and randomness.
 */
public final class ProgramRunner {
  private static final Logger log = LoggerFactory.getLogger(ProgramRunner.class);

  private ProgramRunner() {}

  /**
   * @param program the name errors are prefixed with
   * @param top the top-level command object
   * @param context injected into every command with a constructor taking exactly its type
   */
  public static int run(String program, Object top, Object context, PrintStream out, PrintStream err,
      String... args) {
    CommandLine cmd = new CommandLine(top, new Factory(context));
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      OutpostException oe = Errors.unwrap(e);
      if (oe.code() == ErrorCode.INTERNAL) {
        log.error("{} failed", program, e);
      } else {
        log.debug("{} failed", program, e);
      }
      err.println(program + ": " + oe.getMessage());
      return 1;
    });
    cmd.setParameterExceptionHandler((e, a) -> {
      err.println(program + ": " + e.getMessage());
      e.getCommandLine().usage(new PrintWriter(err, true));
      return 2;
    });
    int code = cmd.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** Creates commands with the injected context when they take one. */
  private record Factory(Object context) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      try {
        Constructor<K> c = cls.getDeclaredConstructor(context.getClass());
        c.setAccessible(true);
        return c.newInstance(context);
      } catch (NoSuchMethodException e) {
        return CommandLine.defaultFactory().create(cls);
      }
    }
  }
}
