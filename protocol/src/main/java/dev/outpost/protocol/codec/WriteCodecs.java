package dev.outpost.protocol.codec;

import static dev.outpost.protocol.codec.BodyWriter.bool;
import static dev.outpost.protocol.codec.BodyWriter.i64;
import static dev.outpost.protocol.codec.BodyWriter.string;
import static dev.outpost.protocol.codec.BodyWriter.u8;

import dev.outpost.protocol.Commit;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Leases;

/** Commits and the leases that fence them. */
final class WriteCodecs {
  private WriteCodecs() {}

  /**
   * string path, i64 inode, i64 baseVersion, optional RootRef, i64 size, i64 mtimeMillis, i64 leaseToken,
   * OperationId.
   */
  static final BodyCodec<Commit> COMMIT = BodyCodec.of((m, out) -> {
    string(out, m.path());
    i64(out, m.inode());
    i64(out, m.baseVersion());
    BodyWriter.optional(out, m.root(), BodyWriter::rootRef);
    i64(out, m.size());
    i64(out, m.mtimeMillis());
    i64(out, m.leaseToken());
    ValueCodecs.operationId(out, m.op());
  }, in -> new Commit(in.string(), in.i64(), in.i64(), in.optional(BodyReader::rootRef), in.i64(), in.i64(),
      in.i64(), ValueCodecs.operationId(in)));

  /** string path, u8 mode, bool subtree, i64 ttlMillis. */
  static final BodyCodec<LeaseAcquire> LEASE_ACQUIRE = BodyCodec.of((m, out) -> {
    string(out, m.path());
    u8(out, ValueCodecs.leaseMode(m.mode()));
    bool(out, m.subtree());
    i64(out, m.ttlMillis());
  }, in -> new LeaseAcquire(in.string(), ValueCodecs.leaseMode(in, in.u8()), in.bool(), in.i64()));

  /** string path, u8 mode, i64 token, i64 expiresAtMillis. */
  static final BodyCodec<LeaseGrant> LEASE_GRANT = BodyCodec.of((m, out) -> {
    string(out, m.path());
    u8(out, ValueCodecs.leaseMode(m.mode()));
    i64(out, m.token());
    i64(out, m.expiresAtMillis());
  }, in -> new LeaseGrant(in.string(), ValueCodecs.leaseMode(in, in.u8()), in.i64(), in.i64()));

  /** string path, i64 token, i64 ttlMillis. */
  static final BodyCodec<LeaseRenew> LEASE_RENEW = BodyCodec.of((m, out) -> {
    string(out, m.path());
    i64(out, m.token());
    i64(out, m.ttlMillis());
  }, in -> new LeaseRenew(in.string(), in.i64(), in.i64()));

  /** string path, i64 token. */
  static final BodyCodec<LeaseRelease> LEASE_RELEASE = BodyCodec.of((m, out) -> {
    string(out, m.path());
    i64(out, m.token());
  }, in -> new LeaseRelease(in.string(), in.i64()));

  /** string path, i64 token. */
  static final BodyCodec<LeaseRecall> LEASE_RECALL = BodyCodec.of((m, out) -> {
    string(out, m.path());
    i64(out, m.token());
  }, in -> new LeaseRecall(in.string(), in.i64()));

  /** string path, i64 afterToken, u16 maxEntries. */
  static final BodyCodec<LeaseList> LEASE_LIST = BodyCodec.of((m, out) -> {
    string(out, m.path());
    i64(out, m.afterToken());
    BodyWriter.u16(out, m.maxEntries());
  }, in -> new LeaseList(in.string(), in.i64(), in.u16()));

  /** list of LeaseInfo, u8 more, i64 staleSinceMillis. */
  static final BodyCodec<Leases> LEASES = BodyCodec.of((m, out) -> {
    BodyWriter.list(out, m.leases(), ValueCodecs::leaseInfo);
    bool(out, m.more());
    i64(out, m.staleSinceMillis());
  }, in -> new Leases(in.list(ValueCodecs.MIN_LEASE_INFO_BYTES, ValueCodecs::leaseInfo), in.bool(), in.i64()));
}
