package dev.outpost.client;

import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;

/**
 * Receives the change journal from {@link OutpostClient#watch}. Calls come one at a time, in journal order, on
 * a thread of the watch's own (never the network's), so an implementation may block briefly.
 */
public interface ChangeListener {
  /** The subscription is live; events after {@code currentSeq} follow. */
  default void onStart(long currentSeq) {}

  /** One change. */
  void onChange(ChangeEvent event);

  /**
   * The watch fell behind the journal's retention: changes were dropped. Anything cached under the prefix
   * must be revalidated. Events continue after {@code currentSeq}.
   */
  default void onResync(long currentSeq) {}

  /** The watch ended with an error (connection lost, bad prefix, ...); nothing follows. */
  default void onError(OutpostException error) {}
}
