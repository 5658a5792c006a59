package dev.outpost.protocol;

/**
 * A message from the server: an answer echoing its request's id, or an unsolicited push with request id 0
 * ({@link LeaseRecall}).
 */
public sealed interface Reply extends Message
    permits Ok, ErrorReply, Welcome, Attached, Pong,
        AttrReply, DirPage, LinkTarget, InodeRange,
        BlockData, BlockMissing, MissingBlocks,
        LeaseGrant, LeaseRecall, Leases,
        SubscribeAck, ChangeEvent, Resync,
        Snapshots, BlockRefs, PathChanges {}
