package dev.outpost.origin.lease;

import dev.outpost.core.ErrorCode;
import dev.outpost.core.OutpostException;
import dev.outpost.core.VolumePath;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseInfo;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseMode;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.Leases;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Leases on paths and subtrees with fencing tokens. An exclusive lease conflicts with any overlapping lease of
 * another party; shared leases only conflict with exclusive ones. A conflicting acquire is refused with
 * LEASE_CONFLICT and the holders are recalled (once per grant); a holder that never releases loses the lease
 * when it expires. Tokens come from {@link LeaseEpochs}, so they only grow, also across restarts.
 *
 * <p>Expired leases vanish lazily: every check compares with the clock, so no timer is needed.
 *
 * <p>Thread-safe (synchronized); the origin calls it from its writer thread, so a lease check and the
 * mutation it guards cannot interleave with an acquire.
 */
public final class LeaseTable {
  /** Sweep expired leases out of the table every this many acquires (they are ignored before that). */
  private static final int SWEEP_EVERY = 256;

  /**
   * Who holds a lease: one session of one connection. A proxy holds leases for its clients on their sessions.
   *
   * @param subject the token's subject, for messages ("held by alice")
   */
  public record Party(long connectionId, int session, String subject) {}

  private static final class Entry {
    final String path;
    final LeaseMode mode;
    final boolean subtree;
    final long token;
    final Party holder;
    final Consumer<LeaseRecall> push;
    long expiresAtMillis;
    boolean recalled;

    Entry(String path, LeaseMode mode, boolean subtree, long token, Party holder, long expiresAtMillis,
        Consumer<LeaseRecall> push) {
      this.path = path;
      this.mode = mode;
      this.subtree = subtree;
      this.token = token;
      this.holder = holder;
      this.expiresAtMillis = expiresAtMillis;
      this.push = push;
    }

    boolean covers(String p) {
      return path.equals(p) || (subtree && VolumePath.isUnder(p, path));
    }

    LeaseGrant grant() {
      return new LeaseGrant(path, mode, token, expiresAtMillis);
    }

    LeaseInfo info() {
      return new LeaseInfo(path, mode, subtree, token, holder.subject(), expiresAtMillis,
          recalled);
    }
  }

  private final LeaseEpochs epochs;
  private final Clock clock;
  private final long maxTtlMillis;
  private final TreeMap<String, List<Entry>> byPath = new TreeMap<>();
  private int acquiresSinceSweep;

  /**
   * @param maxTtlMillis longer requested lifetimes are shortened to this
   */
  public LeaseTable(LeaseEpochs epochs, Clock clock, long maxTtlMillis) {
    this.epochs = epochs;
    this.clock = clock;
    this.maxTtlMillis = maxTtlMillis;
  }

  /**
   * Grants a lease, or refuses it and recalls the conflicting holders. A party asking again for an
   * overlapping lease gets a new grant that replaces its older overlapping ones (e.g. shared → exclusive).
   *
   * @param push sends a recall to this holder's connection later
   * @throws OutpostException LEASE_CONFLICT naming the holder and the expiry
   */
  public synchronized LeaseGrant acquire(Party party, String path, LeaseMode mode, boolean subtree, long ttlMillis,
      Consumer<LeaseRecall> push) {
    long now = clock.millis();
    if (++acquiresSinceSweep >= SWEEP_EVERY) {
      sweep(now);
    }
    List<Entry> conflicts = new ArrayList<>();
    List<Entry> ownOverlapping = new ArrayList<>();
    for (Entry e : overlapping(path, subtree)) {
      if (e.expiresAtMillis <= now) {
        continue;
      }
      if (e.holder.equals(party)) {
        ownOverlapping.add(e);
      } else if (mode == LeaseMode.EXCLUSIVE || e.mode == LeaseMode.EXCLUSIVE) {
        conflicts.add(e);
      }
    }
    if (!conflicts.isEmpty()) {
      for (Entry e : conflicts) {
        if (!e.recalled) {
          e.recalled = true;
          e.push.accept(new LeaseRecall(e.path, e.token));
        }
      }
      Entry first = conflicts.getFirst();
      throw new OutpostException(ErrorCode.LEASE_CONFLICT, path + " conflicts with a "
          + first.mode.name().toLowerCase(java.util.Locale.ROOT) + " lease on " + first.path + " held by "
          + first.holder.subject() + " until " + Instant.ofEpochMilli(first.expiresAtMillis) + " (token "
          + first.token + "); it has been recalled, retry later");
    }
    for (Entry e : ownOverlapping) {
      remove(e);
    }
    long token = epochs.next();
    Entry e = new Entry(path, mode, subtree, token, party, now + Math.min(ttlMillis, maxTtlMillis), push);
    byPath.computeIfAbsent(path, k -> new ArrayList<>()).add(e);
    return e.grant();
  }

  /**
   * Extends a lease that is still held.
   *
   * @throws OutpostException FENCED if {@code token} is not a live lease on {@code path}
   */
  public synchronized LeaseGrant renew(String path, long token, long ttlMillis) {
    Entry e = live(path, token);
    e.expiresAtMillis = Math.max(e.expiresAtMillis, clock.millis() + Math.min(ttlMillis, maxTtlMillis));
    return e.grant();
  }

  /**
   * Gives a lease back.
   *
   * @throws OutpostException FENCED if {@code token} is not a live lease on {@code path}
   */
  public synchronized void release(String path, long token) {
    remove(live(path, token));
  }

  /**
   * Checks that a write of {@code party} to {@code path} may proceed. With {@code leaseToken != 0} the token
   * must be the current lease covering the path (the newest live exclusive one, or a live lease of any mode
   * when nobody holds it exclusively); with {@code leaseToken == 0} no other party may hold a live exclusive
   * lease covering it.
   *
   * @throws OutpostException FENCED ("lease token 7 is not current (current 9)") or LEASE_CONFLICT
   */
  public synchronized void checkWrite(Party party, String path, long leaseToken) {
    long now = clock.millis();
    Entry exclusive = null;
    Entry matching = null;
    for (Entry e : covering(path)) {
      if (e.expiresAtMillis <= now) {
        continue;
      }
      if (e.mode == LeaseMode.EXCLUSIVE && (exclusive == null || e.token > exclusive.token)) {
        exclusive = e;
      }
      if (e.token == leaseToken) {
        matching = e;
      }
    }
    if (leaseToken != 0) {
      if (exclusive != null && exclusive.token != leaseToken) {
        throw new OutpostException(ErrorCode.FENCED,
            "lease token " + leaseToken + " is not current (current " + exclusive.token + ")");
      }
      if (matching == null) {
        throw new OutpostException(ErrorCode.FENCED,
            "lease token " + leaseToken + " is not current (no live lease covers " + path + ")");
      }
      return;
    }
    if (exclusive != null && !exclusive.holder.equals(party)) {
      throw new OutpostException(ErrorCode.LEASE_CONFLICT, path + " is leased exclusively by "
          + exclusive.holder.subject() + " until " + Instant.ofEpochMilli(exclusive.expiresAtMillis)
          + " (token " + exclusive.token + ")");
    }
  }

  /**
   * The live leases overlapping {@code path} as a subtree (on it, below it, and subtree leases on its ancestors),
   * with tokens above {@code afterToken}, in token order: at most {@code maxEntries}, {@code more} if others
   * follow.
   */
  public synchronized Leases list(String path, long afterToken, int maxEntries) {
    long now = clock.millis();
    TreeMap<Long, Entry> byToken = new TreeMap<>();
    for (Entry e : overlapping(path, true)) {
      if (e.expiresAtMillis > now && e.token > afterToken) {
        byToken.put(e.token, e);
      }
    }
    int n = Math.min(Math.min(maxEntries, LeaseList.MAX_ENTRIES), byToken.size());
    List<LeaseInfo> page = new ArrayList<>(n);
    for (Entry e : byToken.values()) {
      if (page.size() == n) {
        break;
      }
      page.add(e.info());
    }
    return new Leases(page, byToken.size() > n, 0);
  }

  /** Live leases now, for metrics. */
  public synchronized int liveCount() {
    long now = clock.millis();
    int n = 0;
    for (List<Entry> l : byPath.values()) {
      for (Entry e : l) {
        if (e.expiresAtMillis > now) {
          n++;
        }
      }
    }
    return n;
  }

  /** The live grant with {@code token}, if any (for tests and diagnostics). */
  public synchronized Optional<LeaseGrant> find(long token) {
    long now = clock.millis();
    for (List<Entry> l : byPath.values()) {
      for (Entry e : l) {
        if (e.token == token && e.expiresAtMillis > now) {
          return Optional.of(e.grant());
        }
      }
    }
    return Optional.empty();
  }

  private Entry live(String path, long token) {
    List<Entry> l = byPath.get(path);
    if (l != null) {
      long now = clock.millis();
      for (Entry e : l) {
        if (e.token == token) {
          if (e.expiresAtMillis <= now) {
            remove(e);
            break;
          }
          return e;
        }
      }
    }
    throw new OutpostException(ErrorCode.FENCED, "lease token " + token + " is not current for " + path
        + " (expired, released or taken over)");
  }

  /** Leases on {@code path} itself and subtree leases on its ancestors. */
  private List<Entry> covering(String path) {
    List<Entry> out = new ArrayList<>();
    List<Entry> exact = byPath.get(path);
    if (exact != null) {
      out.addAll(exact);
    }
    String p = path;
    while (!p.equals(VolumePath.ROOT)) {
      p = VolumePath.parent(p);
      List<Entry> l = byPath.get(p);
      if (l != null) {
        for (Entry e : l) {
          if (e.subtree) {
            out.add(e);
          }
        }
      }
    }
    return out;
  }

  /** Leases a new lease on {@code path} (a subtree if {@code subtree}) would overlap. */
  private List<Entry> overlapping(String path, boolean subtree) {
    List<Entry> out = covering(path);
    if (subtree) {
      Map<String, List<Entry>> below = path.equals(VolumePath.ROOT)
          ? byPath.tailMap("/", false)
          : byPath.subMap(path + "/", true, path + "0", false); // '0' is the character after '/'
      for (List<Entry> l : below.values()) {
        out.addAll(l);
      }
    }
    return out;
  }

  private void remove(Entry e) {
    List<Entry> l = byPath.get(e.path);
    if (l != null) {
      l.remove(e);
      if (l.isEmpty()) {
        byPath.remove(e.path);
      }
    }
  }

  private void sweep(long now) {
    acquiresSinceSweep = 0;
    for (Iterator<List<Entry>> it = byPath.values().iterator(); it.hasNext(); ) {
      List<Entry> l = it.next();
      l.removeIf(e -> e.expiresAtMillis <= now);
      if (l.isEmpty()) {
        it.remove();
      }
    }
  }
}
