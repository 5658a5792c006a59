/**
 * Single-thread JMH benchmarks of Outpost's hot paths, run with {@code bin/jmh}.
 *
 * <p>Units: every byte-throughput benchmark counts one JMH operation per MiB processed (through
 * {@code @OperationsPerInvocation}), so its {@code ops/s} score reads directly as MiB/s; multiply by 1.048576
 * for MB/s. The frame codec benchmark counts one operation per encode + decode round trip.
 *
 * <p>Inputs are deterministic (fixed seeds, a fixed volume key), so runs on different machines chunk, compress
 * and seal the same bytes.
 */
package dev.outpost.bench.jmh;
