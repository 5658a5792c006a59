package dev.outpost.program;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

class ProgramRunnerTest {
  record Context(String greeting) {}

  @Command(name = "demo", subcommands = {Hello.class, Fail.class})
  static final class Top {}

  @Command(name = "hello")
  static final class Hello implements Callable<Integer> {
    private final Context context;
    @Parameters(index = "0")
    String name;

    Hello(Context context) {
      this.context = context;
    }

    @Override
    public Integer call() {
      System.out.flush();
      throw new Printed(context.greeting() + " " + name);
    }
  }

  /** Carries the text to print so the test can see the injected context reached the command. */
  static final class Printed extends OutpostException {
    Printed(String text) {
      super(ErrorCode.NOT_FOUND, text);
    }
  }

  @Command(name = "fail")
  static final class Fail implements Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalStateException("boom");
    }
  }

  private record Run(int code, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ProgramRunner.run("demo", new Top(), new Context("hi"), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8), args);
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void injectsTheContextAndMapsTypedFailuresToOneLineAndExitOne() {
    Run r = run("hello", "ann");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("demo: hi ann" + System.lineSeparator());
  }

  @Test
  void foreignFailuresAreExitOneToo() {
    Run r = run("fail");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("demo: IllegalStateException: boom");
  }

  @Test
  void usageErrorsAreExitTwoWithTheUsage() {
    Run r = run("hello");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("demo: Missing required parameter").contains("Usage: demo hello");
  }
}
