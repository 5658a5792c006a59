package dev.outpost.protocol;

/** A message that asks for something; it always carries a non-zero request id that every reply echoes. */
public sealed interface Request extends Message
    permits Hello, Attach, Detach, Ping,
        GetAttr, Lookup, ReadDir, ReadLink, Mutation, ReserveInodes,
        GetBlocks, HasBlocks, PutBlock,
        LeaseAcquire, LeaseRenew, LeaseRelease, LeaseList,
        Subscribe, Unsubscribe,
        SnapshotList, SnapshotCreate, SnapshotDelete, ListBlocks, DiffBlocks, DiffPaths {}
