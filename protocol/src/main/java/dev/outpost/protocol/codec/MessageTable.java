package dev.outpost.protocol.codec;

import dev.outpost.protocol.Attach;
import dev.outpost.protocol.Attached;
import dev.outpost.protocol.AttrReply;
import dev.outpost.protocol.BlockData;
import dev.outpost.protocol.BlockMissing;
import dev.outpost.protocol.BlockRefs;
import dev.outpost.protocol.ChangeEvent;
import dev.outpost.protocol.Commit;
import dev.outpost.protocol.Create;
import dev.outpost.protocol.Detach;
import dev.outpost.protocol.DiffBlocks;
import dev.outpost.protocol.DiffPaths;
import dev.outpost.protocol.DirPage;
import dev.outpost.protocol.ErrorReply;
import dev.outpost.protocol.GetAttr;
import dev.outpost.protocol.GetBlocks;
import dev.outpost.protocol.HasBlocks;
import dev.outpost.protocol.InodeRange;
import dev.outpost.protocol.Hello;
import dev.outpost.protocol.LeaseAcquire;
import dev.outpost.protocol.LeaseGrant;
import dev.outpost.protocol.LeaseList;
import dev.outpost.protocol.LeaseRecall;
import dev.outpost.protocol.LeaseRelease;
import dev.outpost.protocol.LeaseRenew;
import dev.outpost.protocol.Leases;
import dev.outpost.protocol.LinkTarget;
import dev.outpost.protocol.ListBlocks;
import dev.outpost.protocol.Lookup;
import dev.outpost.protocol.Message;
import dev.outpost.protocol.MissingBlocks;
import dev.outpost.protocol.Mkdir;
import dev.outpost.protocol.Ok;
import dev.outpost.protocol.PathChanges;
import dev.outpost.protocol.Ping;
import dev.outpost.protocol.Pong;
import dev.outpost.protocol.PutBlock;
import dev.outpost.protocol.ReadDir;
import dev.outpost.protocol.ReadLink;
import dev.outpost.protocol.Rename;
import dev.outpost.protocol.Reply;
import dev.outpost.protocol.ReserveInodes;
import dev.outpost.protocol.Resync;
import dev.outpost.protocol.Rmdir;
import dev.outpost.protocol.SetAttr;
import dev.outpost.protocol.SnapshotCreate;
import dev.outpost.protocol.SnapshotDelete;
import dev.outpost.protocol.SnapshotList;
import dev.outpost.protocol.Snapshots;
import dev.outpost.protocol.Subscribe;
import dev.outpost.protocol.SubscribeAck;
import dev.outpost.protocol.Symlink;
import dev.outpost.protocol.Unlink;
import dev.outpost.protocol.Unsubscribe;
import dev.outpost.protocol.Welcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place where message types get their wire numbers. Requests use 0x0001..0x7FFF, replies and pushes
 * 0x8000..0xFFFF. Never renumber or reuse a number; adding a message is one line here plus its codec.
 */
final class MessageTable {
  /** One registered message type. */
  record Entry<M extends Message>(int type, Class<M> messageClass, BodyCodec<M> codec) {
    String name() {
      return messageClass.getSimpleName();
    }
  }

  private static final Entry<?>[] BY_TYPE = new Entry<?>[0x10000];
  private static final Map<Class<?>, Entry<?>> BY_CLASS = new HashMap<>();
  private static final List<Entry<?>> ALL = new ArrayList<>();

  static {
    add(0x0001, Hello.class, SessionCodecs.HELLO);
    add(0x0002, Attach.class, SessionCodecs.ATTACH);
    add(0x0003, Detach.class, SessionCodecs.DETACH);
    add(0x0004, Ping.class, SessionCodecs.PING);

    add(0x0010, GetAttr.class, NamespaceCodecs.GET_ATTR);
    add(0x0011, Lookup.class, NamespaceCodecs.LOOKUP);
    add(0x0012, ReadDir.class, NamespaceCodecs.READ_DIR);
    add(0x0013, Create.class, NamespaceCodecs.CREATE);
    add(0x0014, Mkdir.class, NamespaceCodecs.MKDIR);
    add(0x0015, Unlink.class, NamespaceCodecs.UNLINK);
    add(0x0016, Rmdir.class, NamespaceCodecs.RMDIR);
    add(0x0017, Rename.class, NamespaceCodecs.RENAME);
    add(0x0018, SetAttr.class, NamespaceCodecs.SET_ATTR);
    add(0x0019, Symlink.class, NamespaceCodecs.SYMLINK);
    add(0x001A, ReadLink.class, NamespaceCodecs.READ_LINK);
    add(0x001B, ReserveInodes.class, NamespaceCodecs.RESERVE_INODES);

    add(0x0020, GetBlocks.class, BlockCodecs.GET_BLOCKS);
    add(0x0021, HasBlocks.class, BlockCodecs.HAS_BLOCKS);
    add(0x0022, PutBlock.class, BlockCodecs.PUT_BLOCK);

    add(0x0030, Commit.class, WriteCodecs.COMMIT);
    add(0x0040, LeaseAcquire.class, WriteCodecs.LEASE_ACQUIRE);
    add(0x0041, LeaseRenew.class, WriteCodecs.LEASE_RENEW);
    add(0x0042, LeaseRelease.class, WriteCodecs.LEASE_RELEASE);
    add(0x0043, LeaseList.class, WriteCodecs.LEASE_LIST);

    add(0x0050, Subscribe.class, JournalCodecs.SUBSCRIBE);
    add(0x0051, Unsubscribe.class, JournalCodecs.UNSUBSCRIBE);

    add(0x0060, SnapshotList.class, SnapshotCodecs.SNAPSHOT_LIST);
    add(0x0061, SnapshotCreate.class, SnapshotCodecs.SNAPSHOT_CREATE);
    add(0x0062, SnapshotDelete.class, SnapshotCodecs.SNAPSHOT_DELETE);
    add(0x0063, ListBlocks.class, SnapshotCodecs.LIST_BLOCKS);
    add(0x0064, DiffBlocks.class, SnapshotCodecs.DIFF_BLOCKS);
    add(0x0065, DiffPaths.class, SnapshotCodecs.DIFF_PATHS);

    add(0x8000, Ok.class, SessionCodecs.OK);
    add(0x8001, ErrorReply.class, SessionCodecs.ERROR);
    add(0x8002, Welcome.class, SessionCodecs.WELCOME);
    add(0x8003, Attached.class, SessionCodecs.ATTACHED);
    add(0x8004, Pong.class, SessionCodecs.PONG);

    add(0x8010, AttrReply.class, NamespaceCodecs.ATTR_REPLY);
    add(0x8011, DirPage.class, NamespaceCodecs.DIR_PAGE);
    add(0x8012, LinkTarget.class, NamespaceCodecs.LINK_TARGET);
    add(0x8013, InodeRange.class, NamespaceCodecs.INODE_RANGE);

    add(0x8020, BlockData.class, BlockCodecs.BLOCK_DATA);
    add(0x8021, BlockMissing.class, BlockCodecs.BLOCK_MISSING);
    add(0x8022, MissingBlocks.class, BlockCodecs.MISSING_BLOCKS);

    add(0x8040, LeaseGrant.class, WriteCodecs.LEASE_GRANT);
    add(0x8041, LeaseRecall.class, WriteCodecs.LEASE_RECALL);
    add(0x8042, Leases.class, WriteCodecs.LEASES);

    add(0x8050, SubscribeAck.class, JournalCodecs.SUBSCRIBE_ACK);
    add(0x8051, ChangeEvent.class, JournalCodecs.CHANGE_EVENT);
    add(0x8052, Resync.class, JournalCodecs.RESYNC);

    add(0x8060, Snapshots.class, SnapshotCodecs.SNAPSHOTS);
    add(0x8061, BlockRefs.class, SnapshotCodecs.BLOCK_REFS);
    add(0x8062, PathChanges.class, SnapshotCodecs.PATH_CHANGES);
  }

  private MessageTable() {}

  private static <M extends Message> void add(int type, Class<M> messageClass, BodyCodec<M> codec) {
    if (BY_TYPE[type] != null || BY_CLASS.containsKey(messageClass)) {
      throw new IllegalStateException("message type 0x" + Integer.toHexString(type) + " or "
          + messageClass.getSimpleName() + " registered twice");
    }
    if (Reply.class.isAssignableFrom(messageClass) != ((type & 0x8000) != 0)) {
      throw new IllegalStateException(messageClass.getSimpleName() + " has a number of the wrong direction");
    }
    Entry<M> entry = new Entry<>(type, messageClass, codec);
    BY_TYPE[type] = entry;
    BY_CLASS.put(messageClass, entry);
    ALL.add(entry);
  }

  /** The entry for a wire type number, or null if unknown. */
  static Entry<?> byType(int type) {
    return BY_TYPE[type & 0xFFFF];
  }

  /** The entry for a message class; every permitted message class has one (a test checks it). */
  static Entry<?> byClass(Class<?> messageClass) {
    Entry<?> entry = BY_CLASS.get(messageClass);
    if (entry == null) {
      throw new IllegalStateException("no wire type for " + messageClass.getName());
    }
    return entry;
  }

  static List<Entry<?>> all() {
    return Collections.unmodifiableList(ALL);
  }
}
