package dev.outpost.proxy.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * What the program talks to, injected so tests run it in-process.
 *
 * @param stop completing it stops {@code serve} (the JVM's shutdown hook does in production)
 */
record Io(PrintStream out, PrintStream err, Clock clock, CompletableFuture<Void> stop) {}
