package dev.outpost.origin.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * What commands print to and depend on, injected so tests run the CLI in-process.
 *
 * @param out results (tokens, tables, JSON)
 * @param err the one-line errors and warnings
 * @param workDir where relative default output files go (the user's current directory)
 */
record Io(PrintStream out, PrintStream err, Clock clock, SecureRandom random, Path workDir) {}
