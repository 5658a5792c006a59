package dev.outpost.fuse;

import dev.outpost.client.ClientConfig;
import dev.outpost.client.OutpostClient;
import dev.outpost.crypto.AccessToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A mount whose token is read-only (mounted without --read-only): every change fails with EACCES at the call
 * that asks for it — `echo x > f` exits non-zero — instead of at close, where shells ignore the error.
 */
class ReadOnlyTokenMountTest extends MountFixture {
  private OutpostClient writer;
  private long version;

  @Override
  ClientConfig clientConfig() {
    return ClientConfig.of(origin.address(), origin.token(AccessToken.Mode.RO, "reader"), origin.keyFile())
        .withParallelism(2);
  }

  @Override
  void beforeMount() {
    writer = TestOrigins.client(origin);
    version = ReadOnlyMountTest.writeTheVolume(writer);
  }

  @AfterEach
  void closeWriter() {
    if (writer != null) {
      writer.close();
    }
  }

  @Test
  void everyWriteIsRefusedWithEACCESAtTheCall() throws Exception {
    ReadOnlyMountTest.refusesEveryChange(this, "Permission denied", "EACCES");
    ReadOnlyMountTest.unchanged(this, writer, version);
  }
}
