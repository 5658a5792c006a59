package dev.outpost.proxy.attrs;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.Reply;
import dev.outpost.proxy.upstream.OriginLink;
import dev.outpost.transport.Errors;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Attributes and directory pages of the live volume asked ahead of any client, on the proxy's own session (the
 * look-ahead of a tree walk, warm jobs), and cached exactly as a client's miss would be: pages under the page key a
 * client's full listing uses ({@link ReadDir#MAX_ENTRIES} per page), readdir-plus, epoch rule
 * ({@link AttrCache#putListing}). Stateless apart from the caches it fills; thread-safe. Answers complete on the
 * origin link's event loop: callers hand further work elsewhere.
 */
public final class OriginAttrs {
  /**
   * An answer from the origin and whether it stayed cached.
   *
   * @param kept false if an invalidation raced it (the answer may be stale and was not kept; ask again to cache it)
   */
  public record Fetched<T extends Reply>(T answer, boolean kept) {}

  private final OriginLink link;
  private final AttrCache attrs;
  private final ChangeSubscription subscription;

  public OriginAttrs(OriginLink link, AttrCache attrs, ChangeSubscription subscription) {
    this.link = link;
    this.attrs = attrs;
    this.subscription = subscription;
  }

  /** Whether cached answers may be served now (else nothing cached is used, though answers are still cached). */
  public boolean live() {
    return subscription.live();
  }

  /** The page a client's listing of {@code dir} from {@code startAfter} would be served, if cached and live. */
  public Optional<DirPage> cachedPage(String dir, String startAfter) {
    return live() ? attrs.page(dir, key(startAfter)) : Optional.empty();
  }

  /** The attributes (or NOT_FOUND) a client's GETATTR of {@code path} would be served, if cached and live. */
  public Optional<Reply> cachedAttr(String path) {
    return live() ? attrs.attr(path) : Optional.empty();
  }

  /**
   * Lists one page of {@code dir} at the origin and caches it with each entry's attributes.
   *
   * @return fails with the origin's error (NOT_FOUND, NOT_A_DIRECTORY: the tree changed; UNAVAILABLE: link lost)
   */
  public CompletableFuture<Fetched<DirPage>> listPage(String dir, String startAfter) {
    long epoch = attrs.epoch();
    return link.callAsProxy(new ReadDir("", dir, startAfter, ReadDir.MAX_ENTRIES)).thenApply(reply -> {
      try {
        if (reply instanceof DirPage page) {
          return new Fetched<>(page, attrs.putListing(dir, key(startAfter), page, epoch));
        }
        throw unexpected(reply);
      } finally {
        ReferenceCountUtil.release(reply);
      }
    });
  }

  /**
   * Asks GETATTR of {@code path} at the origin and caches the answer: an {@link AttrReply}, or an
   * {@link ErrorReply} NOT_FOUND (a negative entry, as for a client).
   *
   * @return fails with any other error of the origin's
   */
  public CompletableFuture<Fetched<Reply>> attr(String path) {
    long epoch = attrs.epoch();
    return link.callAsProxy(new GetAttr("", path)).handle((reply, err) -> {
      try {
        Reply answer;
        if (err == null && reply instanceof AttrReply a) {
          answer = a;
        } else if (err != null && Errors.unwrap(err).code() == ErrorCode.NOT_FOUND) {
          answer = Errors.toReply(err);
        } else if (err != null) {
          throw Errors.unwrap(err);
        } else {
          throw unexpected(reply);
        }
        attrs.putAttr(path, answer, epoch);
        return new Fetched<>(answer, attrs.epoch() == epoch);
      } finally {
        ReferenceCountUtil.release(reply);
      }
    });
  }

  private static AttrCache.PageKey key(String startAfter) {
    return new AttrCache.PageKey(startAfter, ReadDir.MAX_ENTRIES);
  }

  private static OutpostException unexpected(Reply r) {
    if (r instanceof ErrorReply e) {
      return new OutpostException(e.code(), e.message());
    }
    return new OutpostException(ErrorCode.PROTOCOL_VIOLATION, "origin answered with " + r.getClass().getSimpleName());
  }
}
