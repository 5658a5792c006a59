package dev.outpost.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects every WARN and ERROR line logged in this JVM while open (message, and the messages of its throwable
 * chain), so a test can count log lines and search them. Keeps at most {@value #KEPT} lines; counts all.
 */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  private static final int KEPT = 10_000;

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final List<String> lines = new ArrayList<>();
  private long count;

  private LogCapture() {}

  static LogCapture attach() {
    LogCapture c = new LogCapture();
    c.setContext(c.root.getLoggerContext());
    c.start();
    c.root.addAppender(c);
    return c;
  }

  @Override
  protected synchronized void append(ILoggingEvent e) {
    if (!e.getLevel().isGreaterOrEqual(Level.WARN)) {
      return;
    }
    count++;
    if (lines.size() < KEPT) {
      StringBuilder b = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        b.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(b.toString());
    }
  }

  /** WARN and ERROR lines logged so far. */
  synchronized long count() {
    return count;
  }

  synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    root.detachAppender(this);
    stop();
  }
}
