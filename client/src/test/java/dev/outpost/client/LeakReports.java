package dev.outpost.client;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Collects what Netty's leak detector (PARANOID in tests) reports. It reports a buffer only after the collector
 * found it unreleased and the detector next runs, so {@link #collect()} forces both before reading the reports.
 * As a JUnit extension ({@code @RegisterExtension static final LeakReports leaks = new LeakReports();}) it fails
 * the test class if anything leaked while it ran.
 */
final class LeakReports implements AutoCloseable, AfterAllCallback {
  private final Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LeakReports() {
    appender.start();
    logger.addAppender(appender);
  }

  /** The leak reports so far, after a collection and a round of tracked allocations. */
  List<String> collect() throws InterruptedException {
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(50);
      for (int i = 0; i < 100; i++) {
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        probe.release();
      }
    }
    return appender.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("LEAK")).toList();
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    try {
      assertThat(collect()).as("Netty leak reports").isEmpty();
    } finally {
      close();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
