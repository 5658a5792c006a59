package dev.outpost.store;

/**
 * What a store takes of its disk ({@link LmdbStorage#space}). LMDB never gives pages back to the filesystem: pages
 * freed by deletes are reused inside the file, which does not shrink. So {@code fileBytes} is the room the store has
 * without growing, while {@code mapBytes} is only address space (the map is not written ahead: growing it costs no
 * disk).
 *
 * @param fileBytes size of the data file
 * @param mapBytes current size of the memory map, the most the file may grow to before the map must grow
 * @param filesystemBytes size of the filesystem holding the store
 * @param filesystemUsableBytes what that filesystem has left for new data
 */
public record StoreSpace(long fileBytes, long mapBytes, long filesystemBytes, long filesystemUsableBytes) {}
