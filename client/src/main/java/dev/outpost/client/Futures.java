package dev.outpost.client;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.transport.Errors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Waiting on futures from a caller's thread, with failures translated to OutpostException at one place. */
final class Futures {
  private Futures() {}

  /**
   * The future's value; its failure rethrown as the OutpostException it carries.
   *
   * @throws OutpostException UNAVAILABLE if the thread is interrupted (the interrupt flag is kept)
   */
  static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OutpostException(ErrorCode.UNAVAILABLE, "interrupted", e);
    } catch (ExecutionException e) {
      throw Errors.unwrap(e);
    }
  }
}
