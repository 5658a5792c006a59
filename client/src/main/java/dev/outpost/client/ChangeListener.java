package dev.outpost.client;

import dev.outpost.core.OutpostException;
import dev.outpost.protocol.ChangeEvent;

/**
 * Receives the change journal from {@link OutpostClient#watch}. Calls come one at a time, in journal order, on
 * a thread of the watch's own (never the network's), so an implementation may block briefly.
 */
public interface ChangeListener {
  /**
   * The subscription is live; the events after the position it started from follow (up to {@code currentSeq},
   * the journal's position now, they are replayed). Called again after each resubscription.
   */
  default void onStart(long currentSeq) {}

  /** One change. */
  void onChange(ChangeEvent event);

  /**
   * The watch fell behind the journal's retention: changes were dropped. Anything cached under the prefix
   * must be revalidated. Events continue after {@code currentSeq}.
   */
  default void onResync(long currentSeq) {}

  /**
   * The connection to the server was lost. No events arrive until the client has reconnected and the watch has
   * subscribed again from the last event it delivered: then {@link #onStart} and the events missed meanwhile,
   * replayed from the journal, or {@link #onResync} if the journal no longer holds them. Meanwhile anything
   * cached under the prefix may go stale without notice.
   */
  default void onSuspended(OutpostException cause) {}

  /**
   * The watch ended with an error (the server refused or ended it, or the client was closed); nothing follows.
   * A lost connection does not end it (see {@link #onSuspended}).
   */
  default void onError(OutpostException error) {}
}
