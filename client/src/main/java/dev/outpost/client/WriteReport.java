package dev.outpost.client;

import dev.outpost.protocol.FileAttr;

/**
 * What one write did: the plaintext read, the ciphertext actually sent, and the blocks. A second upload of
 * the same content sends (almost) nothing: {@code bytesUploaded} counts only blocks the server lacked.
 *
 * @param path the file written
 * @param attr the file's attributes after the commit
 * @param bytesRead plaintext bytes cut into chunks: those written, those read back from an appended version where
 *     its chunks could not be reused; zero runs and reused chunks are not counted (a 1 TiB truncate reads ~0)
 * @param bytesUploaded ciphertext bytes sent in PUT_BLOCK (data and index blocks)
 * @param blocksTotal distinct blocks sealed for the new version (data and index; reused chunks not counted)
 * @param blocksUploaded how many of them the server lacked and were sent
 */
public record WriteReport(String path, FileAttr attr, long bytesRead, long bytesUploaded, long blocksTotal,
    long blocksUploaded) {

  /** Plaintext read per ciphertext byte sent; infinite when nothing had to be sent. */
  public double dedupRatio() {
    return bytesUploaded == 0 ? Double.POSITIVE_INFINITY : (double) bytesRead / bytesUploaded;
  }
}
